package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
)

// SecretPrefix starts every API token secret, so that secret scanners and
// people can recognise one.
const SecretPrefix = "ingot_"

// secretBytes is the entropy of a token secret.
const secretBytes = 32

// NewSecret returns a fresh API token secret, "ingot_" followed by 43
// base62 characters encoding 32 random bytes, and its Hash. Store the hash;
// show the secret once.
func NewSecret() (secret string, hash []byte) {
	b := make([]byte, secretBytes)
	// crypto/rand.Read never fails since Go 1.24: it crashes the program
	// rather than return predictable bytes.
	_, _ = rand.Read(b)
	secret = SecretPrefix + base62(b)
	return secret, Hash(secret)
}

// Hash is the SHA-256 of a token secret, the key tokens are stored and
// looked up under. A plain fast hash is enough: secrets are high-entropy,
// so there is nothing to brute-force.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// HashEqual compares two hashes in constant time.
func HashEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
