package kit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/nacl/box"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
)

// Report is what the installer of one kit host leaves on the stick: the
// outcome, what it did and when, and what it found.
type Report struct {
	Format     int               `json:"format"`
	Kit        string            `json:"kit"`
	Deployment api.DeploymentID  `json:"deployment"`
	Host       string            `json:"host"`
	MatchedBy  string            `json:"matched_by"` // "MAC ...", "serial ...", "menu"
	Result     string            `json:"result"`     // succeeded or failed
	Error      string            `json:"error,omitempty"`
	Hint       string            `json:"hint,omitempty"`
	Image      string            `json:"image"` // sha256:<hex> of the signed manifest written
	Started    time.Time         `json:"started"`
	Finished   time.Time         `json:"finished"`
	Attempt    int               `json:"attempt"` // 1 for the first install of this deployment from this stick
	Events     []Event           `json:"events"`
	Signals    []api.Signal      `json:"signals,omitempty"` // what the installer would have posted online
	Inventory  plan.Inventory    `json:"inventory"`
	PCRs       map[string]string `json:"pcrs,omitempty"` // sha256 bank, index → hex
	// RecoveryKeys are the LUKS recovery passphrases, each sealed to the
	// server's report key.
	RecoveryKeys []SealedKey `json:"recovery_keys,omitempty"`
	Log          string      `json:"log,omitempty"` // the console's tail
}

// Results of a report.
const (
	ResultSucceeded = "succeeded"
	ResultFailed    = "failed"
)

// Event is one timestamped line of the install.
type Event struct {
	Time    time.Time `json:"time"`
	Message string    `json:"message"`
}

// SealedKey is one recovery passphrase sealed to the server's report key.
type SealedKey struct {
	Volume string `json:"volume"`
	Device string `json:"device,omitempty"`
	Sealed []byte `json:"sealed"`
}

// Envelope is a signed report as stored in the report area and posted to
// the server (POST /v1/kits/reports).
type Envelope struct {
	Kit       string `json:"kit" maxLength:"80"`
	Report    []byte `json:"report" maxLength:"16777216" doc:"The report JSON, signed as is."`
	Signature []byte `json:"signature" doc:"ed25519 by the kit key over a context string and the report bytes."`
}

// SignReport encodes r and signs it with the kit key.
func SignReport(r Report, key ed25519.PrivateKey) (Envelope, error) {
	r.Format = Format
	b, err := json.Marshal(r)
	if err != nil {
		return Envelope{}, fmt.Errorf("kit: encoding the report: %w", err)
	}
	return Envelope{Kit: r.Kit, Report: b, Signature: ed25519.Sign(key, append([]byte(reportContext), b...))}, nil
}

// ErrReportSignature is returned for a report the kit key does not verify.
var ErrReportSignature = errors.New("report signature does not verify with the kit's key")

// OpenReport verifies e with the kit key pub and decodes the report.
func OpenReport(e Envelope, pub ed25519.PublicKey) (Report, error) {
	var r Report
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, append([]byte(reportContext), e.Report...), e.Signature) {
		return r, fmt.Errorf("report of kit %s: %w", e.Kit, ErrReportSignature)
	}
	if err := decodeStrict(e.Report, &r); err != nil {
		return r, fmt.Errorf("report of kit %s: %w", e.Kit, err)
	}
	if r.Format != Format || r.Kit != e.Kit {
		return r, fmt.Errorf("report of kit %s: format %d of kit %q is not format %d of this kit", e.Kit, r.Format, r.Kit, Format)
	}
	return r, nil
}

// Digest names a signed report: sha256 of its report bytes, for replays.
func (e Envelope) Digest() string {
	s := sha256.Sum256(e.Report)
	return "sha256:" + hex.EncodeToString(s[:])
}

// Seal encrypts secret to the server's X25519 report key with an
// ephemeral key (NaCl anonymous box): only the server can open it.
func Seal(reportKey []byte, secret []byte) ([]byte, error) {
	var pub [32]byte
	if copy(pub[:], reportKey) != 32 || len(reportKey) != 32 {
		return nil, errors.New("kit: the report key is not an X25519 public key")
	}
	return box.SealAnonymous(nil, secret, &pub, rand.Reader)
}

// Open decrypts what Seal made with the server's report key pair.
func Open(pub, priv *[32]byte, sealed []byte) ([]byte, error) {
	out, ok := box.OpenAnonymous(nil, sealed, pub, priv)
	if !ok {
		return nil, errors.New("kit: a sealed recovery key does not open with the server's report key")
	}
	return out, nil
}

// NewReportKey makes an X25519 key pair for sealing recovery keys.
func NewReportKey(r io.Reader) (pub, priv *[32]byte, err error) {
	return box.GenerateKey(r)
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
