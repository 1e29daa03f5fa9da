package clevis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
)

// SSSHeader is clevis.sss: the threshold, the prime and the JWEs of the
// shares (compact, one per pin).
type SSSHeader struct {
	T   int      `json:"t"`
	P   string   `json:"p"`
	JWE []string `json:"jwe"`
}

// sssBytes is the size of clevis's prime, key and coordinates.
const sssBytes = 32

// safePrime returns a random 256-bit safe prime, as clevis's sss_generate
// does (OpenSSL BN_generate_prime_ex with safe set).
func safePrime() (*big.Int, error) {
	for {
		q, err := rand.Prime(rand.Reader, 8*sssBytes-1)
		if err != nil {
			return nil, err
		}
		p := new(big.Int).Lsh(q, 1)
		p.Add(p, big.NewInt(1))
		if p.BitLen() == 8*sssBytes && p.ProbablyPrime(20) {
			return p, nil
		}
	}
}

// polynomial is a random polynomial of degree t-1 over GF(p); e[0] is the
// secret.
type polynomial struct {
	p *big.Int
	e []*big.Int
}

func newPolynomial(t int) (*polynomial, error) {
	p, err := safePrime()
	if err != nil {
		return nil, err
	}
	poly := &polynomial{p: p}
	for range t {
		e, err := rand.Int(rand.Reader, p)
		if err != nil {
			return nil, err
		}
		poly.e = append(poly.e, e)
	}
	return poly, nil
}

// point returns a share: a random x and y = poly(x), each 32 bytes.
func (poly *polynomial) point() ([]byte, error) {
	x, err := rand.Int(rand.Reader, new(big.Int).Sub(poly.p, big.NewInt(1)))
	if err != nil {
		return nil, err
	}
	x.Add(x, big.NewInt(1))
	y, xi := new(big.Int), big.NewInt(1)
	for _, e := range poly.e {
		y.Add(y, new(big.Int).Mul(e, xi))
		xi.Mul(xi, x).Mod(xi, poly.p)
	}
	y.Mod(y, poly.p)
	out := make([]byte, 2*sssBytes)
	x.FillBytes(out[:sssBytes])
	y.FillBytes(out[sssBytes:])
	return out, nil
}

// recover interpolates the shares at 0 (Lagrange) and returns the secret
// as len(p) bytes.
func recoverSecret(p *big.Int, size int, points [][]byte) ([]byte, error) {
	k := new(big.Int)
	for i, pi := range points {
		if len(pi) != 2*size {
			return nil, fmt.Errorf("sss share of %d bytes, want %d", len(pi), 2*size)
		}
		xo, yo := new(big.Int).SetBytes(pi[:size]), new(big.Int).SetBytes(pi[size:])
		acc := big.NewInt(1)
		for j, pj := range points {
			if i == j {
				continue
			}
			xi := new(big.Int).SetBytes(pj[:size])
			num := new(big.Int).Sub(p, xi)
			den := new(big.Int).Sub(xo, xi)
			den.Mod(den, p)
			if den.ModInverse(den, p) == nil {
				return nil, errors.New("sss: two shares have the same x")
			}
			acc.Mul(acc, num).Mul(acc, den).Mod(acc, p)
		}
		k.Add(k, acc.Mul(acc, yo)).Mod(k, p)
	}
	if k.BitLen() > 8*size {
		return nil, errors.New("sss: recovered key is too big")
	}
	return k.FillBytes(make([]byte, size)), nil
}

func (ps Pins) encryptSSS(ctx context.Context, pol Policy, plaintext []byte) (*JWE, error) {
	t := max(pol.Threshold, 1)
	n := len(pol.Tang)
	if pol.TPM2 != nil {
		n++
	}
	if n == 0 || t > n {
		return nil, fmt.Errorf("sss: threshold %d over %d pins", t, n)
	}
	poly, err := newPolynomial(t)
	if err != nil {
		return nil, err
	}
	h := &SSSHeader{T: t, P: b64.EncodeToString(poly.p.FillBytes(make([]byte, sssBytes)))}
	add := func(enc func(pt []byte) (*JWE, error)) error {
		pt, err := poly.point()
		if err != nil {
			return err
		}
		j, err := enc(pt)
		if err != nil {
			return err
		}
		h.JWE = append(h.JWE, j.Compact())
		return nil
	}
	for _, tp := range pol.Tang {
		if err := add(func(pt []byte) (*JWE, error) { return encryptTang(ctx, ps.http(), tp, pt) }); err != nil {
			return nil, err
		}
	}
	if pol.TPM2 != nil {
		if err := add(func(pt []byte) (*JWE, error) { return encryptTPM2(ps.TPM, *pol.TPM2, pt) }); err != nil {
			return nil, err
		}
	}
	return seal(Header{Alg: "dir", Enc: "A256GCM", Clevis: ClevisHeader{Pin: "sss", SSS: h}},
		poly.e[0].FillBytes(make([]byte, sssBytes)), plaintext)
}

func (ps Pins) decryptSSS(ctx context.Context, j *JWE, depth int) ([]byte, error) {
	h := j.Header.Clevis.SSS
	if h == nil || j.Header.Alg != "dir" {
		return nil, errors.New("sss jwe without clevis.sss or alg dir")
	}
	pb, err := b64.DecodeString(h.P)
	if err != nil || len(pb) == 0 || len(pb) > 512 {
		return nil, fmt.Errorf("sss p: bad prime (%v)", err)
	}
	p := new(big.Int).SetBytes(pb)
	if h.T < 1 || h.T > len(h.JWE) {
		return nil, fmt.Errorf("sss: threshold %d over %d shares", h.T, len(h.JWE))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		points [][]byte
		errs   []string
	)
	for _, s := range h.JWE {
		wg.Go(func() {
			pt, err := ps.decrypt(ctx, s, depth+1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err.Error())
				return
			}
			if len(points) < h.T {
				points = append(points, pt)
			}
			if len(points) == h.T {
				cancel()
			}
		})
	}
	wg.Wait()
	if len(points) < h.T {
		return nil, fmt.Errorf("sss: %d of the %d required pins answered: %s", len(points), h.T, strings.Join(errs, "; "))
	}
	key, err := recoverSecret(p, len(pb), points)
	if err != nil {
		return nil, err
	}
	return j.open(key)
}
