package clevis

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Token is the LUKS2 token clevis stores a binding in (`cryptsetup token
// import`): the JWE in flattened form and the keyslot whose passphrase is
// the JWE's plaintext.
type Token struct {
	Type     string    `json:"type"`
	Keyslots []string  `json:"keyslots"`
	JWE      Flattened `json:"jwe"`
}

// NewToken returns the clevis token binding keyslot slot with j.
func NewToken(slot int, j *JWE) Token {
	return Token{Type: "clevis", Keyslots: []string{strconv.Itoa(slot)}, JWE: j.Flatten()}
}

// ParseToken parses a token as `cryptsetup token export` prints it.
func ParseToken(b []byte) (Token, error) {
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return Token{}, fmt.Errorf("luks2 token: %w", err)
	}
	if t.Type != "clevis" {
		return Token{}, fmt.Errorf("luks2 token of type %q, want clevis", t.Type)
	}
	return t, nil
}

// MarshalJSON renders t as cryptsetup token import wants it.
func (t Token) MarshalJSON() ([]byte, error) {
	type plain Token
	return json.Marshal(plain(t))
}
