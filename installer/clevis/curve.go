package clevis

import (
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"math/big"

	"filippo.io/nistec"
)

// curve is the elliptic-curve arithmetic the McCallum-Relyea exchange
// needs, on uncompressed points, for the NIST curves Tang uses.
type curve struct {
	name string
	size int // bytes of a coordinate and of a scalar
	n    *big.Int
	add  func(a, b []byte) ([]byte, error)
	mul  func(p, k []byte) ([]byte, error)
	base func(k []byte) ([]byte, error)
}

type point[T any] interface {
	*T
	SetBytes([]byte) (*T, error)
	Bytes() []byte
	Add(*T, *T) *T
	ScalarMult(*T, []byte) (*T, error)
	ScalarBaseMult([]byte) (*T, error)
}

func newCurve[T any, P point[T]](name string, size int, n *big.Int, mk func() P) curve {
	return curve{
		name: name, size: size, n: n,
		add: func(a, b []byte) ([]byte, error) {
			pa, err := mk().SetBytes(a)
			if err != nil {
				return nil, err
			}
			pb, err := mk().SetBytes(b)
			if err != nil {
				return nil, err
			}
			return P(mk().Add(pa, pb)).Bytes(), nil
		},
		mul: func(p, k []byte) ([]byte, error) {
			pp, err := mk().SetBytes(p)
			if err != nil {
				return nil, err
			}
			r, err := mk().ScalarMult(pp, k)
			if err != nil {
				return nil, err
			}
			return P(r).Bytes(), nil
		},
		base: func(k []byte) ([]byte, error) {
			r, err := mk().ScalarBaseMult(k)
			if err != nil {
				return nil, err
			}
			return P(r).Bytes(), nil
		},
	}
}

func curveByName(name string) (curve, error) {
	switch name {
	case "P-256":
		return newCurve("P-256", 32, elliptic.P256().Params().N, nistec.NewP256Point), nil
	case "P-384":
		return newCurve("P-384", 48, elliptic.P384().Params().N, nistec.NewP384Point), nil
	case "P-521":
		return newCurve("P-521", 66, elliptic.P521().Params().N, nistec.NewP521Point), nil
	}
	return curve{}, fmt.Errorf("unsupported curve %q", name)
}

// scalar returns a random scalar in [1, n-1] as size bytes.
func (c curve) scalar() ([]byte, *big.Int, error) {
	k, err := rand.Int(rand.Reader, new(big.Int).Sub(c.n, big.NewInt(1)))
	if err != nil {
		return nil, nil, err
	}
	k.Add(k, big.NewInt(1))
	return k.FillBytes(make([]byte, c.size)), k, nil
}

// neg returns n-k as size bytes, so that mul(P, neg(k)) = -kP.
func (c curve) neg(k *big.Int) []byte {
	return new(big.Int).Sub(c.n, k).FillBytes(make([]byte, c.size))
}

// xy splits an uncompressed point into its coordinates.
func (c curve) xy(p []byte) (x, y []byte) { return p[1 : 1+c.size], p[1+c.size:] }

// point joins coordinates into an uncompressed point.
func (c curve) point(x, y []byte) ([]byte, error) {
	if len(x) != c.size || len(y) != c.size {
		return nil, fmt.Errorf("%s coordinates of %d and %d bytes, want %d", c.name, len(x), len(y), c.size)
	}
	return append(append([]byte{4}, x...), y...), nil
}
