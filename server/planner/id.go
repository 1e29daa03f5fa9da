package planner

import "crypto/rand"

// alphabet is Crockford's base32 in lower case: it sorts like the numbers
// it encodes and has no i, l, o or u.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// encodeTime writes ms as 12 base32 digits, most significant first.
func encodeTime(ms int64) string {
	var b [12]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = alphabet[ms&31]
		ms >>= 5
	}
	return string(b[:])
}

// randomSuffix is 8 random base32 digits (40 bits).
func randomSuffix() string {
	var r [8]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails
	for i := range r {
		r[i] = alphabet[r[i]&31]
	}
	return string(r[:])
}
