package clevis

import (
	"bytes"
	"context"
	"math/big"
	"testing"
)

func TestSSSRecover(t *testing.T) {
	tests := []struct {
		name string
		t, n int
	}{{"1 of 1", 1, 1}, {"2 of 3", 2, 3}, {"3 of 5", 3, 5}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			poly, err := newPolynomial(tt.t)
			if err != nil {
				t.Fatal(err)
			}
			var pts [][]byte
			for range tt.n {
				p, err := poly.point()
				if err != nil {
					t.Fatal(err)
				}
				pts = append(pts, p)
			}
			got, err := recoverSecret(poly.p, sssBytes, pts[:tt.t])
			if err != nil {
				t.Fatal(err)
			}
			if want := poly.e[0].FillBytes(make([]byte, sssBytes)); !bytes.Equal(got, want) {
				t.Fatalf("recovered %x, want %x", got, want)
			}
			if !poly.p.ProbablyPrime(20) || !new(big.Int).Rsh(poly.p, 1).ProbablyPrime(20) {
				t.Fatalf("p = %v is not a safe prime", poly.p)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	j, err := seal(Header{Alg: "dir", Enc: "A256GCM", Clevis: ClevisHeader{Pin: "sss", SSS: &SSSHeader{T: 1, P: "AQ"}}}, key, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseCompact(j.Compact())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := parsed.open(key); err != nil || string(got) != "hello" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if back, err := ParseCompact(parsed.Flatten().Compact()); err != nil || back.Compact() != j.Compact() {
		t.Fatalf("flattened round trip: %v", err)
	}
	parsed.Tag[0] ^= 1
	if _, err := parsed.open(key); err == nil {
		t.Fatal("a tampered tag decrypted")
	}
}

// FuzzParseCompact feeds arbitrary JWEs (a LUKS header is outside input) to
// the parser and to Decrypt with no Tang reachable and no TPM.
func FuzzParseCompact(f *testing.F) {
	j, _ := seal(Header{Alg: "dir", Enc: "A256GCM", Clevis: ClevisHeader{Pin: "sss", SSS: &SSSHeader{T: 1, P: "AQ", JWE: []string{"a.b.c.d.e"}}}}, make([]byte, 32), []byte("x"))
	f.Add(j.Compact())
	f.Add("eyJhbGciOiJkaXIifQ....")
	f.Add(`{"type":"clevis","keyslots":["1"],"jwe":{}}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseToken([]byte(s))
		if _, err := ParseCompact(s); err != nil {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // never reach the network
		_, _ = Pins{}.Decrypt(ctx, s)
	})
}
