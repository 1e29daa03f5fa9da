package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"ingot.dev/ingot/api"
)

// InstallerSecretPrefix starts every installer token secret.
const InstallerSecretPrefix = "ingot_inst_"

// Deriver computes installer token secrets from a server key, so the server
// never stores them in plaintext yet can hand the same secret to every
// piece that needs it (the token store keeps only its Hash; the netboot
// script generator recomputes it for the kernel command line).
//
// The secret of deployment id is
//
//	"ingot_inst_" + base62(HMAC-SHA256(key, "installer:" + id))
//
// Anyone holding the key can mint installer secrets for any deployment, so
// the key must be a dedicated subkey (for example secret.Box.Derive) and
// never leave the server. Rotating the key invalidates every outstanding
// installer secret.
type Deriver struct {
	key []byte
}

// DeriverKeySize is the length of the key NewDeriver wants.
const DeriverKeySize = 32

// NewDeriver returns a Deriver keyed with key, which must be 32 bytes.
// The key is copied.
func NewDeriver(key []byte) (*Deriver, error) {
	if len(key) != DeriverKeySize {
		return nil, fmt.Errorf("installer token key is %d bytes, want %d", len(key), DeriverKeySize)
	}
	return &Deriver{key: append([]byte(nil), key...)}, nil
}

// InstallerSecret returns the installer token secret of deployment id.
func (d *Deriver) InstallerSecret(id api.DeploymentID) string {
	return InstallerSecretPrefix + base62(d.mac(id))
}

// CheckInstaller reports, in constant time, whether secret is the
// installer token secret of deployment id.
func (d *Deriver) CheckInstaller(id api.DeploymentID, secret string) bool {
	want := d.InstallerSecret(id)
	return hmac.Equal([]byte(want), []byte(secret))
}

func (d *Deriver) mac(id api.DeploymentID) []byte {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte("installer:" + string(id)))
	return m.Sum(nil)
}
