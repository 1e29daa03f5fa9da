package clevis

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	_ "crypto/sha1" // SHA-1 thumbprints of older clevis bindings
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// TangHeader is clevis.tang: the server and the advertisement (its JWK set)
// the JWE was made with.
type TangHeader struct {
	URL string          `json:"url"`
	Adv json.RawMessage `json:"adv"`
}

// TangPin is one Tang server and the thumbprints of the signing keys the
// admin trusts.
type TangPin struct {
	URL         string
	Thumbprints []string
}

// ErrUntrusted means a Tang advertisement was not signed by a pinned key.
var ErrUntrusted = errors.New("tang advertisement is not signed by a trusted key")

type advKey struct {
	raw    json.RawMessage
	jwk    jose.JSONWebKey
	ops    []string
	thumbs []string // S256 then S1
}

type adv struct {
	keys    []advKey
	payload json.RawMessage // the JWK set, as clevis stores it in clevis.tang.adv
}

func parseKeys(payload []byte) ([]advKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(payload, &set); err != nil {
		return nil, fmt.Errorf("advertisement payload: %w", err)
	}
	var keys []advKey
	for _, raw := range set.Keys {
		var k advKey
		var ops struct {
			KeyOps []string `json:"key_ops"`
		}
		if err := json.Unmarshal(raw, &ops); err != nil {
			return nil, fmt.Errorf("advertisement key: %w", err)
		}
		if err := k.jwk.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("advertisement key: %w", err)
		}
		k.raw, k.ops = raw, ops.KeyOps
		for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA1} {
			t, err := k.jwk.Thumbprint(h)
			if err != nil {
				return nil, fmt.Errorf("advertisement key thumbprint: %w", err)
			}
			k.thumbs = append(k.thumbs, b64.EncodeToString(t))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// fetchAdv gets and verifies the advertisement of pin: every signing key
// in it must have signed it, and one of them must be pinned.
func fetchAdv(ctx context.Context, hc *http.Client, pin TangPin) (*adv, error) {
	url := strings.TrimRight(pin.URL, "/") + "/adv"
	body, err := httpDo(ctx, hc, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedJSON(string(body), []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512})
	if err != nil {
		return nil, fmt.Errorf("tang %s: advertisement: %w", pin.URL, err)
	}
	payload := jws.UnsafePayloadWithoutVerification()
	keys, err := parseKeys(payload)
	if err != nil {
		return nil, fmt.Errorf("tang %s: %w", pin.URL, err)
	}
	var signers []string
	trusted := false
	for _, k := range keys {
		if !slices.Contains(k.ops, "verify") {
			continue
		}
		if _, _, _, err := jws.VerifyMulti(k.jwk.Public()); err != nil {
			return nil, fmt.Errorf("tang %s: advertisement is not signed by its key %s: %w", pin.URL, k.thumbs[0], err)
		}
		signers = append(signers, k.thumbs[0])
		for _, t := range pin.Thumbprints {
			trusted = trusted || slices.Contains(k.thumbs, t)
		}
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("tang %s: advertisement has no signing keys", pin.URL)
	}
	if !trusted {
		return nil, fmt.Errorf("tang %s: %w: signed by %v, trusted %v: check the server, or update the pinned thumbprints", pin.URL, ErrUntrusted, signers, pin.Thumbprints)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, payload); err != nil {
		return nil, err
	}
	return &adv{keys: keys, payload: compact.Bytes()}, nil
}

func httpDo(ctx context.Context, hc *http.Client, method, url string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("tang %s: %w", url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/jwk+json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("tang %s unreachable: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("tang %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tang %s: %s", url, resp.Status)
	}
	return b, nil
}

// exchangeKey returns the advertisement's deriveKey key.
func (a *adv) exchangeKey() (advKey, error) {
	for _, k := range a.keys {
		if slices.Contains(k.ops, "deriveKey") {
			return k, nil
		}
	}
	return advKey{}, errors.New("advertisement has no deriveKey (exchange) key")
}

// encryptTang makes a clevis tang JWE of plaintext: ECDH-ES with the
// server's exchange key, the McCallum-Relyea way, so that only the server
// can help recover the key later.
func encryptTang(ctx context.Context, hc *http.Client, pin TangPin, plaintext []byte) (*JWE, error) {
	a, err := fetchAdv(ctx, hc, pin)
	if err != nil {
		return nil, err
	}
	k, err := a.exchangeKey()
	if err != nil {
		return nil, fmt.Errorf("tang %s: %w", pin.URL, err)
	}
	var srv ecJWK
	if err := json.Unmarshal(k.raw, &srv); err != nil {
		return nil, err
	}
	c, S, err := srv.point()
	if err != nil {
		return nil, fmt.Errorf("tang %s: exchange key: %w", pin.URL, err)
	}
	ec := map[string]ecdh.Curve{"P-256": ecdh.P256(), "P-384": ecdh.P384(), "P-521": ecdh.P521()}[c.name]
	eph, err := ec.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	pub, err := ec.NewPublicKey(S)
	if err != nil {
		return nil, err
	}
	z, err := eph.ECDH(pub)
	if err != nil {
		return nil, err
	}
	h := Header{
		Alg: "ECDH-ES", Enc: "A256GCM", Kid: k.thumbs[0],
		EPK:    marshalJWK(pointJWK(c, eph.PublicKey().Bytes(), "")),
		Clevis: ClevisHeader{Pin: "tang", Tang: &TangHeader{URL: pin.URL, Adv: a.payload}},
	}
	return seal(h, concatKDF(z), plaintext)
}

// decryptTang recovers a tang JWE's key with the server's help: it sends
// epk + eG to /rec/{kid}, gets s(epk + eG) back and subtracts eS. The
// server never sees the key.
func decryptTang(ctx context.Context, hc *http.Client, j *JWE) ([]byte, error) {
	h := j.Header.Clevis.Tang
	if h == nil || j.Header.Alg != "ECDH-ES" || j.Header.Kid == "" {
		return nil, errors.New("tang jwe without clevis.tang, ECDH-ES or kid")
	}
	keys, err := parseKeys(h.Adv)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(keys, func(k advKey) bool { return slices.Contains(k.thumbs, j.Header.Kid) })
	if i < 0 {
		return nil, fmt.Errorf("tang %s: key %s is not in the jwe's advertisement", h.URL, j.Header.Kid)
	}
	var srv, epk ecJWK
	if err := json.Unmarshal(keys[i].raw, &srv); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(j.Header.EPK, &epk); err != nil {
		return nil, fmt.Errorf("jwe epk: %w", err)
	}
	c, S, err := srv.point()
	if err != nil {
		return nil, err
	}
	ce, E, err := epk.point()
	if err != nil || ce.name != c.name {
		return nil, fmt.Errorf("jwe epk: %v (curve %s, server %s)", err, epk.Crv, c.name)
	}
	eb, e, err := c.scalar()
	if err != nil {
		return nil, err
	}
	eG, err := c.base(eb)
	if err != nil {
		return nil, err
	}
	X, err := c.add(E, eG)
	if err != nil {
		return nil, err
	}
	req, _ := json.Marshal(pointJWK(c, X, "ECMR"))
	rep, err := httpDo(ctx, hc, http.MethodPost, strings.TrimRight(h.URL, "/")+"/rec/"+j.Header.Kid, req)
	if err != nil {
		return nil, err
	}
	var Yk ecJWK
	if err := json.Unmarshal(rep, &Yk); err != nil {
		return nil, fmt.Errorf("tang %s: reply: %w", h.URL, err)
	}
	cy, Y, err := Yk.point()
	if err != nil || cy.name != c.name {
		return nil, fmt.Errorf("tang %s: reply point: %v", h.URL, err)
	}
	eS, err := c.mul(S, c.neg(e))
	if err != nil {
		return nil, err
	}
	Z, err := c.add(Y, eS)
	if err != nil {
		return nil, err
	}
	zx, _ := c.xy(Z)
	return j.open(concatKDF(zx))
}
