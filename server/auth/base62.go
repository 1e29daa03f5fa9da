package auth

import "math/big"

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62 encodes b as a fixed-width base62 string: every input of the same
// length gives an output of the same length (leading zeros are kept as '0').
// The alphabet is URL safe and needs no padding.
func base62(b []byte) string {
	width := base62Width(len(b))
	out := make([]byte, width)
	n := new(big.Int).SetBytes(b)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62Alphabet[mod.Int64()]
	}
	return string(out)
}

// base62Width is the number of base62 digits needed for any n-byte value:
// the smallest w with 62^w >= 256^n.
func base62Width(n int) int {
	limit := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	p := big.NewInt(1)
	w := 0
	for p.Cmp(limit) < 0 {
		p.Mul(p, big.NewInt(62))
		w++
	}
	return w
}
