// Package kit is the site-kit contract shared by the Ingot server, the
// admin CLI and the installer: the signed kit manifest that lists every file
// of an air-gap bundle with its sha256, the matching of a machine to one of
// the kit's hosts, the signed deployment reports the installer leaves on
// the stick, recovery keys sealed to the server, and the stick's report
// area. See docs/formats/site-kit.md.
package kit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"ingot.dev/ingot/api"
)

// Format is the only kit format version this package reads and writes.
const Format = 1

// Where things live inside the kit tree (the "kit" directory of the medium).
const (
	Dir           = "kit"
	ManifestFile  = "kit.json"
	SignatureFile = "kit.sig"
	KeyFile       = "report.key" // the kit's report-signing key (ed25519 seed)
)

// Manifest is the kit's table of contents, signed by the server.
type Manifest struct {
	Format  int       `json:"format"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// KitKey is the kit's ed25519 public key: reports written by the
	// installer are signed with its private half (KeyFile).
	KitKey []byte `json:"kit_key"`
	// ReportKey is the server's X25519 public key: recovery keys are sealed
	// to it and never stored in plaintext on the stick.
	ReportKey []byte `json:"report_key"`
	// KeepTang says whether the kit's encryption policies keep Tang pins.
	KeepTang bool   `json:"keep_tang,omitempty"`
	Hosts    []Host `json:"hosts"`
	Files    []File `json:"files"`
}

// Host is one machine the kit can install.
type Host struct {
	Name       string           `json:"name"`
	Deployment api.DeploymentID `json:"deployment"`
	Hostgroup  string           `json:"hostgroup"`
	MACs       []string         `json:"macs,omitempty"`
	Serial     string           `json:"serial,omitempty"` // DMI system serial
	UUID       string           `json:"uuid,omitempty"`   // DMI system UUID
	Plan       string           `json:"plan"`             // path of its plan in the kit
	Image      string           `json:"image"`            // sha256:<hex> of its signed image manifest
}

// File is one file of the kit with its size and the sha256 of its bytes.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Paths of the kit tree's files.
func PlanPath(host string) string { return "plans/" + host + ".json" }

// ManifestPath is where the signed image manifest id is kept.
func ManifestPath(id string) string { return "manifests/" + strings.TrimPrefix(id, "sha256:") }

// ChunkPath is where chunk hex is kept (the layout stream.Dir reads).
func ChunkPath(hex string) string { return "chunks/" + hex[:2] + "/" + hex }

// Sign encodes m and signs the exact bytes with key.
func Sign(m Manifest, key ed25519.PrivateKey) (data, sig []byte, err error) {
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	data, err = json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, nil, fmt.Errorf("kit: encoding the manifest: %w", err)
	}
	return data, ed25519.Sign(key, append([]byte(manifestContext), data...)), nil
}

// Signing contexts keep kit signatures apart from any other use of a key.
const (
	manifestContext = "ingot.dev/kit/v1\x00"
	reportContext   = "ingot.dev/kit-report/v1\x00"
)

// ErrSignature is returned for a kit manifest that does not verify.
var ErrSignature = errors.New("kit manifest signature does not verify")

// Verify checks sig over data with pub and parses the manifest.
func Verify(data, sig []byte, pub ed25519.PublicKey) (*Manifest, error) {
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, append([]byte(manifestContext), data...), sig) {
		return nil, fmt.Errorf("%w with the kit key %s given on the kernel command line (ingot.kitkey): the kit was altered or built by another server", ErrSignature, FormatKey(pub))
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("kit: parsing %s: %w", ManifestFile, err)
	}
	return &m, m.Validate()
}

// Validate checks the manifest is complete and its paths stay in the kit.
func (m *Manifest) Validate() error {
	if m.Format != Format {
		return fmt.Errorf("kit: format %d, this installer reads format %d", m.Format, Format)
	}
	if m.ID == "" || len(m.KitKey) != ed25519.PublicKeySize || len(m.ReportKey) != 32 {
		return errors.New("kit: manifest lacks its id, kit key or report key")
	}
	files := map[string]bool{}
	for _, f := range m.Files {
		if !fs.ValidPath(f.Path) || f.Path == "." || path.Clean(f.Path) != f.Path || len(f.SHA256) != 64 || f.Size < 0 {
			return fmt.Errorf("kit: bad file entry %q", f.Path)
		}
		files[f.Path] = true
	}
	for _, h := range m.Hosts {
		if h.Name == "" || h.Deployment == "" || !files[h.Plan] || !files[ManifestPath(h.Image)] {
			return fmt.Errorf("kit: host %q lacks a deployment, its plan or its image manifest", h.Name)
		}
	}
	return nil
}

// File returns the entry of path p.
func (m *Manifest) File(p string) (File, bool) {
	for _, f := range m.Files {
		if f.Path == p {
			return f, true
		}
	}
	return File{}, false
}

// Host returns the host named name.
func (m *Manifest) Host(name string) (Host, bool) {
	for _, h := range m.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// FormatKey is the text form of a kit signing key on the kernel command
// line: unpadded base64url of the raw 32 bytes.
func FormatKey(pub ed25519.PublicKey) string { return base64.RawURLEncoding.EncodeToString(pub) }

// ParseKey reads FormatKey's text.
func ParseKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("kit key %q: want 43 characters of base64url (32 bytes)", s)
	}
	return ed25519.PublicKey(b), nil
}
