package manifest

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sample() *Manifest {
	return &Manifest{
		Version: Version, Name: "debian-12 <base>", Arch: "amd64", Firmware: "uefi",
		OS:      OS{ID: "debian", Version: "12"},
		Created: time.Unix(1700000000, 0).UTC(),
		Cmdline: "console=ttyS0 & quiet",
		Payloads: []Payload{{
			Role: "disk", Kind: KindRawDisk, Size: 10<<20 + 5, ChunkSize: DefaultChunkSize,
			Chunks: []Chunk{{Index: 0, Hash: Sum([]byte("a")), CompressedSize: 10}, {Index: 2, Hash: Sum([]byte("b")), CompressedSize: 7}},
		}},
	}
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func TestCanonicalIsSortedAndCompact(t *testing.T) {
	got, err := Canonical(sample())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"arch":"amd64","cmdline":"console=ttyS0 & quiet","created":"2023-11-14T22:13:20Z","firmware":"uefi","name":"debian-12 <base>","os":{"id":"debian","version":"12"},"payloads":[{"chunk_size":4194304,"chunks":[{"compressed_size":10,"index":0,"sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"},{"compressed_size":7,"index":2,"sha256":"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"}],"kind":"raw-disk","role":"disk","size":10485765}],"version":1}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("canonical (-want +got):\n%s", diff)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	priv := newKey(t)
	signed, err := Sign(sample(), priv)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Sign(sample(), priv)
	if Digest(signed) != Digest(again) || !strings.HasPrefix(Digest(signed), "sha256:") {
		t.Errorf("digest not stable: %s vs %s", Digest(signed), Digest(again))
	}
	m, err := Verify(signed, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sample(), m); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestVerifyRefuses(t *testing.T) {
	priv := newKey(t)
	pub := priv.Public().(ed25519.PublicKey)
	good, _ := Sign(sample(), priv)
	v2 := sample()
	v2.Version = 2
	tests := []struct {
		name string
		data func() []byte
		pub  ed25519.PublicKey
		want error
	}{
		{"other key", func() []byte { return good }, newKey(t).Public().(ed25519.PublicKey), ErrBadSignature},
		{"flipped manifest byte", func() []byte {
			b := []byte(strings.Replace(string(good), `"manifest":"ey`, `"manifest":"fy`, 1))
			return b
		}, pub, ErrBadSignature},
		{"unknown version", func() []byte { return signRaw(t, priv, v2) }, pub, ErrUnknownVersion},
		{"garbage", func() []byte { return []byte("{not json") }, pub, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Verify(tt.data(), tt.pub)
			if err == nil || m != nil {
				t.Fatalf("Verify = %v, %v; want refusal", m, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// signRaw signs m without validating it, as a newer or hostile server might.
func signRaw(t *testing.T, priv ed25519.PrivateKey, m *Manifest) []byte {
	t.Helper()
	body, err := Canonical(m)
	if err != nil {
		t.Fatal(err)
	}
	return SignBytesForTest(body, priv)
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"no version", `{"name":"x"}`},
		{"unknown field", `{"version":1,"name":"x","arch":"","firmware":"","created":"2023-11-14T22:13:20Z","payloads":[],"extra":1}`},
		{"no payloads", `{"version":1,"name":"x","arch":"","firmware":"","created":"2023-11-14T22:13:20Z","payloads":[]}`},
		{"bad kind", `{"version":1,"name":"x","created":"2023-11-14T22:13:20Z","payloads":[{"role":"d","kind":"tar","size":1,"chunk_size":4194304,"chunks":[]}]}`},
		{"chunk beyond size", `{"version":1,"name":"x","created":"2023-11-14T22:13:20Z","payloads":[{"role":"d","kind":"raw-disk","size":1,"chunk_size":4194304,"chunks":[{"index":1,"sha256":"` + strings.Repeat("a", 64) + `","compressed_size":1}]}]}`},
		{"upper hex", `{"version":1,"name":"x","created":"2023-11-14T22:13:20Z","payloads":[{"role":"d","kind":"raw-disk","size":1,"chunk_size":4194304,"chunks":[{"index":0,"sha256":"` + strings.Repeat("A", 64) + `","compressed_size":1}]}]}`},
		{"chunk size", `{"version":1,"name":"x","created":"2023-11-14T22:13:20Z","payloads":[{"role":"d","kind":"raw-disk","size":1,"chunk_size":1000,"chunks":[]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := Parse([]byte(tt.doc)); err == nil {
				t.Errorf("Parse accepted %+v", m)
			}
		})
	}
}

func TestSigningKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "signing.key")
	k1, err := LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	k2, err := LoadOrCreateSigningKey(path)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("reload gave a different key (%v)", err)
	}
	pemPub, err := MarshalPublicKey(k1.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pemPub)
	if err != nil || !pub.Equal(k1.Public()) {
		t.Fatalf("public key round trip failed: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub := priv.Public().(ed25519.PublicKey)
	good, _ := Sign(sample(), priv)
	f.Add(good)
	f.Add([]byte(`{"manifest":"e30=","key_id":"","signature":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Verify(data, pub)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Verify returned an invalid manifest: %v", err)
		}
	})
}

func FuzzParse(f *testing.F) {
	body, _ := Canonical(sample())
	f.Add(body)
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Parse returned an invalid manifest: %v", err)
		}
		canon, err := Canonical(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v", err)
		}
		canon2, err := Canonical(m2)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(canon), string(canon2)); diff != "" {
			t.Fatalf("canonical form is not stable:\n%s", diff)
		}
	})
}
