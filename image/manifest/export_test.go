package manifest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
)

// SignBytesForTest signs arbitrary manifest bytes, bypassing validation.
func SignBytesForTest(body []byte, priv ed25519.PrivateKey) []byte {
	sig := ed25519.Sign(priv, append([]byte(signingContext), body...))
	raw, _ := json.Marshal(envelope{
		Manifest:  base64.StdEncoding.EncodeToString(body),
		KeyID:     KeyID(priv.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(sig),
	})
	return raw
}
