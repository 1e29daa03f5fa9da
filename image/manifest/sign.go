package manifest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrBadSignature is returned when a signed manifest does not verify.
var ErrBadSignature = errors.New("manifest signature does not verify")

// signingContext separates manifest signatures from any other use of the key.
const signingContext = "ingot.dev/manifest/v1\x00"

// envelope is the signed form of a manifest.
type envelope struct {
	Manifest  string `json:"manifest"`  // base64 of the canonical manifest bytes
	KeyID     string `json:"key_id"`    // KeyID of the signing key
	Signature string `json:"signature"` // base64 ed25519 over signingContext + manifest bytes
}

// Sign validates m and returns the signed envelope: canonical JSON with keys
// "key_id", "manifest" (base64 of Canonical(m)) and "signature".
func Sign(m *Manifest, priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("signing manifest: not an ed25519 private key")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("signing manifest: %w", err)
	}
	body, err := Canonical(m)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(priv, append([]byte(signingContext), body...))
	env := envelope{
		Manifest:  base64.StdEncoding.EncodeToString(body),
		KeyID:     KeyID(priv.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(sig),
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("signing manifest: %w", err)
	}
	return canonicalJSON(raw)
}

// Verify checks the signature of a signed envelope against pub, then parses
// and validates the manifest. Nothing is returned unless the signature
// verifies, the manifest bytes are canonical and the version is known.
func Verify(data []byte, pub ed25519.PublicKey) (*Manifest, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("verifying manifest: not an ed25519 public key")
	}
	if len(data) > maxDocument {
		return nil, fmt.Errorf("verifying manifest: %d bytes exceeds the limit", len(data))
	}
	var env envelope
	if err := decodeStrict(data, &env); err != nil {
		return nil, fmt.Errorf("verifying manifest: decoding envelope: %w", err)
	}
	body, err := base64.StdEncoding.DecodeString(env.Manifest)
	if err != nil {
		return nil, fmt.Errorf("verifying manifest: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("verifying manifest: malformed signature: %w", ErrBadSignature)
	}
	if !ed25519.Verify(pub, append([]byte(signingContext), body...), sig) {
		return nil, fmt.Errorf("verifying manifest signed by %s with key %s: %w", env.KeyID, KeyID(pub), ErrBadSignature)
	}
	m, err := Parse(body)
	if err != nil {
		return nil, fmt.Errorf("verifying manifest: %w", err)
	}
	if canon, err := Canonical(m); err != nil || string(canon) != string(body) {
		return nil, errors.New("verifying manifest: manifest bytes are not canonical")
	}
	return m, nil
}

// Digest returns the image ID of a signed envelope: "sha256:" + hex of its bytes.
func Digest(signed []byte) string {
	s := sha256.Sum256(signed)
	return "sha256:" + hex.EncodeToString(s[:])
}

// KeyID names a public key: "ed25519:" + the first 16 hex digits of its sha256.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(s[:8])
}
