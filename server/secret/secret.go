// Package secret encrypts secrets at rest (BMC passwords, escrowed recovery
// keys, signing keys) with one server key, and derives purpose-bound
// subkeys from it for other packages.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// KeySize is the length of the server key.
const KeySize = 32

// version1 marks data sealed with AES-256-GCM under the subkey
// Derive(sealPurpose), a 12-byte random nonce, and the version byte bound
// as associated data.
const version1 byte = 1

const sealPurpose = "ingot secret box v1 aes-256-gcm"

// errOpen is returned for every failure to authenticate sealed data. It does
// not say which check failed: that would help an attacker, not the operator.
var errOpen = errors.New("opening sealed data: authentication failed: the data was changed, " +
	"or it was sealed under a different server key or for a different object")

// Box seals and opens data with a server key. The key itself never leaves
// the Box: other packages get subkeys through Derive.
type Box struct {
	key  []byte
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key. The key is copied.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("server key is %d bytes, want %d", len(key), KeySize)
	}
	b := &Box{key: append([]byte(nil), key...)}
	block, err := aes.NewCipher(b.Derive(sealPurpose))
	if err != nil {
		return nil, fmt.Errorf("making cipher: %w", err)
	}
	b.aead, err = cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("making cipher: %w", err)
	}
	return b, nil
}

// Derive returns a 32-byte subkey for purpose, computed with HKDF-SHA256
// from the server key. Each user picks its own constant purpose, such as
// "auth installer tokens"; the same purpose always gives the same subkey and
// different purposes give unrelated ones.
func (b *Box) Derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, b.key, nil, purpose, KeySize)
	if err != nil {
		// Only possible for lengths over 255*32 bytes.
		panic("secret: hkdf: " + err.Error())
	}
	return k
}

// Seal encrypts and authenticates plaintext. associatedData is
// authenticated but not stored: pass something that binds the ciphertext to
// its place, such as "bmc-credential/<name>", and pass the same to Open.
// The result is a version byte, a nonce and the ciphertext.
func (b *Box) Seal(plaintext, associatedData []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = version1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("sealing: reading nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:], plaintext, bindVersion(version1, associatedData)), nil
}

// Open decrypts data made by Seal with the same key and associated data.
func (b *Box) Open(sealed, associatedData []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, errors.New("opening sealed data: it is empty")
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("opening sealed data: unknown format version %d (want %d): "+
			"the data is damaged or was written by a newer Ingot", sealed[0], version1)
	}
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() {
		return nil, fmt.Errorf("opening sealed data: %d bytes is too short to be sealed data", len(sealed))
	}
	nonce, ct := sealed[1:1+ns], sealed[1+ns:]
	pt, err := b.aead.Open(nil, nonce, ct, bindVersion(sealed[0], associatedData))
	if err != nil {
		return nil, errOpen
	}
	return pt, nil
}

// bindVersion is the AEAD associated data: the format version, then the
// caller's associated data.
func bindVersion(v byte, associatedData []byte) []byte {
	return append([]byte{v}, associatedData...)
}
