package imagebuild

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// ErrUnknownBackend is returned for a recipe whose backend no registered
// builder handles.
var ErrUnknownBackend = errors.New("unknown image build backend")

// Firmware is what a built image boots with.
type Firmware string

// Firmware values. Both means one disk that boots with either.
const (
	BIOS Firmware = "bios"
	UEFI Firmware = "uefi"
	Both Firmware = "both"
)

// Recipe says what to build. Fields a backend does not use must be empty;
// each backend's Validate says which it takes.
type Recipe struct {
	Name     string   `json:"name"`
	Backend  string   `json:"backend"`
	Arch     string   `json:"arch,omitempty"`     // amd64 (default) or arm64
	Firmware Firmware `json:"firmware,omitempty"` // bios, uefi or both (default)

	// debootstrap
	Suite    string   `json:"suite,omitempty"`    // e.g. bookworm
	Mirror   string   `json:"mirror,omitempty"`   // default: the host's apt sources
	Packages []string `json:"packages,omitempty"` // on top of the minbase variant

	Config    string `json:"config,omitempty"`    // mkosi: mkosi.conf passed through
	Reference string `json:"reference,omitempty"` // oci: layout dir, docker-archive tar or registry ref
	File      string `json:"file,omitempty"`      // import: a disk image file

	Layout  Layout `json:"layout,omitzero"`
	Cmdline string `json:"cmdline,omitempty"` // kernel command line, besides root=
	Size    Size   `json:"size,omitempty"`    // minimum disk size; 0: as small as the contents allow
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// Decode parses a YAML or JSON recipe strictly (unknown fields are errors),
// fills defaults and validates the backend-independent fields. An unknown
// field is a *FieldError naming its path.
func Decode(data []byte) (Recipe, error) {
	if err := checkFields(data); err != nil {
		return Recipe{}, fmt.Errorf("decoding recipe: %w", err)
	}
	var r Recipe
	if err := yaml.UnmarshalStrict(data, &r); err != nil {
		return Recipe{}, fmt.Errorf("decoding recipe: %w", err)
	}
	r = r.WithDefaults()
	return r, r.Validate()
}

// WithDefaults returns r with empty optional fields set to their defaults.
func (r Recipe) WithDefaults() Recipe {
	if r.Arch == "" {
		r.Arch = "amd64"
	}
	if r.Firmware == "" {
		r.Firmware = Both
	}
	r.Layout = r.Layout.WithDefaults()
	return r
}

// Validate checks the fields every backend shares. It is pure.
func (r Recipe) Validate() error {
	if !nameRE.MatchString(r.Name) {
		return fmt.Errorf("recipe name %q: want 1 to 128 of a-z, 0-9, '.', '_', '-'", r.Name)
	}
	if r.Backend == "" {
		return fmt.Errorf("recipe %s: backend is empty", r.Name)
	}
	if r.Arch != "amd64" && r.Arch != "arm64" {
		return fmt.Errorf("recipe %s: arch %q: want amd64 or arm64", r.Name, r.Arch)
	}
	switch r.Firmware {
	case BIOS, UEFI, Both:
	default:
		return fmt.Errorf("recipe %s: firmware %q: want bios, uefi or both", r.Name, r.Firmware)
	}
	if strings.ContainsAny(r.Cmdline, "\n\r\"'") {
		return fmt.Errorf("recipe %s: cmdline holds a newline or quote", r.Name)
	}
	for _, p := range r.Packages {
		if !packageRE.MatchString(p) {
			return fmt.Errorf("recipe %s: package %q is not a Debian package name", r.Name, p)
		}
	}
	if r.Size < 0 {
		return fmt.Errorf("recipe %s: negative size", r.Name)
	}
	if err := r.Layout.Validate(); err != nil {
		return fmt.Errorf("recipe %s: %w", r.Name, err)
	}
	return nil
}

var packageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$`)

// Hash identifies the recipe's content: the sha256 of its JSON encoding with
// defaults filled. Filesystem UUIDs, hash seeds and caches derive from it.
func (r Recipe) Hash() [32]byte {
	b, err := json.Marshal(r.WithDefaults())
	if err != nil {
		panic(err) // a Recipe always encodes
	}
	return sha256.Sum256(b)
}

// AllPackages is the recipe's packages plus those its layout needs, sorted
// and without duplicates.
func (r Recipe) AllPackages() []string {
	return mergePackages(r.Packages, LayoutPackages(r.Layout))
}
