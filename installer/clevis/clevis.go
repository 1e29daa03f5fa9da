// Package clevis binds secrets the way clevis does, in Go: Tang (pinned
// advertisements, the McCallum-Relyea exchange), TPM2 (sealed under the
// tpm2-tools primary key with a PCR policy) and sss (a threshold over
// them), as compact JWEs that clevis decrypts and that Ingot decrypts from
// clevis, plus the LUKS2 token format clevis stores them in.
package clevis

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-tpm/tpm2/transport"
)

// Policy is a clevis sss policy: Threshold of the pins must answer.
type Policy struct {
	Threshold int // default 1
	Tang      []TangPin
	TPM2      *TPM2Pin
}

// Pins is what the pins reach: the HTTP client for Tang (default: 10 s
// timeout, no proxy, no keep-alive) and the TPM (nil when the host has none).
type Pins struct {
	HTTP *http.Client
	TPM  transport.TPM
}

func (ps Pins) http() *http.Client {
	if ps.HTTP != nil {
		return ps.HTTP
	}
	// One request per Tang exchange: no idle connections to a server that
	// may be gone by the next one.
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// Encrypt binds plaintext to pol and returns the sss JWE. It fails when any
// pin fails (a Tang server unreachable or not trusted, no TPM): a binding
// is made whole or not at all.
func (ps Pins) Encrypt(ctx context.Context, pol Policy, plaintext []byte) (*JWE, error) {
	return ps.encryptSSS(ctx, pol, plaintext)
}

// Decrypt decrypts a compact clevis JWE of any pin Ingot knows (sss, tang,
// tpm2), as `clevis decrypt` does.
func (ps Pins) Decrypt(ctx context.Context, compact string) ([]byte, error) {
	return ps.decrypt(ctx, compact, 0)
}

func (ps Pins) decrypt(ctx context.Context, compact string, depth int) ([]byte, error) {
	if depth > 4 {
		return nil, fmt.Errorf("sss nested deeper than 4")
	}
	j, err := ParseCompact(compact)
	if err != nil {
		return nil, err
	}
	switch j.Header.Clevis.Pin {
	case "sss":
		return ps.decryptSSS(ctx, j, depth)
	case "tang":
		return decryptTang(ctx, ps.http(), j)
	case "tpm2":
		return decryptTPM2(ps.TPM, j)
	}
	return nil, fmt.Errorf("unsupported clevis pin %q", j.Header.Clevis.Pin)
}
