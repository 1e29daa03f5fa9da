package clevis

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

var b64 = base64.RawURLEncoding

// Header is the protected header of a clevis JWE.
type Header struct {
	Alg    string          `json:"alg"`
	Enc    string          `json:"enc"`
	Kid    string          `json:"kid,omitempty"`
	EPK    json.RawMessage `json:"epk,omitempty"`
	Clevis ClevisHeader    `json:"clevis"`
}

// ClevisHeader says which pin made the JWE and what it needs to decrypt.
type ClevisHeader struct {
	Pin  string      `json:"pin"`
	Tang *TangHeader `json:"tang,omitempty"`
	TPM2 *TPM2Header `json:"tpm2,omitempty"`
	SSS  *SSSHeader  `json:"sss,omitempty"`
}

// JWE is a parsed compact JWE. Protected keeps the header's base64url
// text, which is the GCM additional data.
type JWE struct {
	Header     Header
	Protected  string
	IV         []byte
	Ciphertext []byte
	Tag        []byte
}

// maxJWE bounds what ParseCompact accepts: a clevis JWE with a few Tang
// advertisements is a few KiB.
const maxJWE = 1 << 20

// ParseCompact parses a compact JWE (five base64url parts, the encrypted
// key empty as clevis makes them).
func ParseCompact(s string) (*JWE, error) {
	if len(s) > maxJWE {
		return nil, fmt.Errorf("jwe of %d bytes is too big", len(s))
	}
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 5 {
		return nil, fmt.Errorf("jwe has %d parts, want 5", len(parts))
	}
	if parts[1] != "" {
		return nil, errors.New("jwe has an encrypted key: clevis JWEs use direct or ECDH-ES key agreement")
	}
	j := &JWE{Protected: parts[0]}
	hdr, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("jwe header: %w", err)
	}
	if err := json.Unmarshal(hdr, &j.Header); err != nil {
		return nil, fmt.Errorf("jwe header: %w", err)
	}
	for i, dst := range []*[]byte{&j.IV, &j.Ciphertext, &j.Tag} {
		if *dst, err = b64.DecodeString(parts[i+2]); err != nil {
			return nil, fmt.Errorf("jwe part %d: %w", i+2, err)
		}
	}
	if j.Header.Enc != "A256GCM" || len(j.IV) != 12 || len(j.Tag) != 16 {
		return nil, fmt.Errorf("jwe enc %q with %d-byte iv and %d-byte tag: want A256GCM, 12 and 16", j.Header.Enc, len(j.IV), len(j.Tag))
	}
	return j, nil
}

// Compact returns the compact serialization, without a trailing newline.
func (j *JWE) Compact() string {
	return strings.Join([]string{j.Protected, "", b64.EncodeToString(j.IV), b64.EncodeToString(j.Ciphertext), b64.EncodeToString(j.Tag)}, ".")
}

// Flattened is the flattened JSON serialization clevis stores in a LUKS2
// token.
type Flattened struct {
	Ciphertext   string `json:"ciphertext"`
	EncryptedKey string `json:"encrypted_key"`
	IV           string `json:"iv"`
	Protected    string `json:"protected"`
	Tag          string `json:"tag"`
}

// Flatten returns j in the flattened JSON serialization.
func (j *JWE) Flatten() Flattened {
	return Flattened{Ciphertext: b64.EncodeToString(j.Ciphertext), IV: b64.EncodeToString(j.IV), Protected: j.Protected, Tag: b64.EncodeToString(j.Tag)}
}

// Compact returns f as a compact JWE.
func (f Flattened) Compact() string {
	return strings.Join([]string{f.Protected, f.EncryptedKey, f.IV, f.Ciphertext, f.Tag}, ".")
}

// seal encrypts plaintext with A256GCM under cek, with h as the protected
// header.
func seal(h Header, cek, plaintext []byte) (*JWE, error) {
	raw, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	j := &JWE{Header: h, Protected: b64.EncodeToString(raw), IV: make([]byte, 12)}
	if _, err := rand.Read(j.IV); err != nil {
		return nil, err
	}
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, err
	}
	out := gcm.Seal(nil, j.IV, plaintext, []byte(j.Protected))
	j.Ciphertext, j.Tag = out[:len(out)-16], out[len(out)-16:]
	return j, nil
}

// open decrypts j with cek.
func (j *JWE) open(cek []byte) ([]byte, error) {
	gcm, err := newGCM(cek)
	if err != nil {
		return nil, err
	}
	pt, err := gcm.Open(nil, j.IV, append(append([]byte{}, j.Ciphertext...), j.Tag...), []byte(j.Protected))
	if err != nil {
		return nil, fmt.Errorf("decrypting %s jwe: %w", j.Header.Clevis.Pin, err)
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("A256GCM key of %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// concatKDF derives the A256GCM key of ECDH-ES direct key agreement from
// the shared secret z (RFC 7518 section 4.6.2, no PartyU/PartyV info).
func concatKDF(z []byte) []byte {
	h := sha256.New()
	var buf [4]byte
	binary.BigEndian.PutUint32(buf[:], 1)
	h.Write(buf[:])
	h.Write(z)
	for _, field := range [][]byte{[]byte("A256GCM"), nil, nil} {
		binary.BigEndian.PutUint32(buf[:], uint32(len(field)))
		h.Write(buf[:])
		h.Write(field)
	}
	binary.BigEndian.PutUint32(buf[:], 256)
	h.Write(buf[:])
	return h.Sum(nil)
}

// octJWK is the symmetric JWK clevis seals in the TPM.
type octJWK struct {
	Alg    string   `json:"alg,omitempty"`
	K      string   `json:"k"`
	KeyOps []string `json:"key_ops,omitempty"`
	Kty    string   `json:"kty"`
}
