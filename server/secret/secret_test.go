package secret

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testBox(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := testBox(t, 1)
	tests := []struct {
		name      string
		plaintext []byte
		ad        []byte
	}{
		{name: "empty", plaintext: nil, ad: nil},
		{name: "password", plaintext: []byte("hunter2"), ad: []byte("bmc-credential/r1")},
		{name: "binary", plaintext: []byte{0, 1, 2, 255}, ad: []byte{0}},
		{name: "large", plaintext: bytes.Repeat([]byte("x"), 1<<20), ad: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := b.Seal(tt.plaintext, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(sealed), 1+12+len(tt.plaintext)+16; got != want {
				t.Errorf("len(sealed) = %d, want %d", got, want)
			}
			if sealed[0] != 1 {
				t.Errorf("version byte = %d, want 1", sealed[0])
			}
			if len(tt.plaintext) >= 4 && bytes.Contains(sealed, tt.plaintext) {
				t.Error("sealed data contains the plaintext")
			}
			got, err := b.Open(sealed, tt.ad)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.plaintext, got, cmp.Comparer(bytes.Equal)); diff != "" {
				t.Errorf("Open mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSealNonceIsRandom(t *testing.T) {
	b := testBox(t, 1)
	x, _ := b.Seal([]byte("same"), nil)
	y, _ := b.Seal([]byte("same"), nil)
	if bytes.Equal(x[1:13], y[1:13]) || bytes.Equal(x, y) {
		t.Error("two seals of the same plaintext share a nonce")
	}
}

func TestTamperDetected(t *testing.T) {
	b := testBox(t, 1)
	ad := []byte("host/n1")
	sealed, err := b.Seal([]byte("recovery key material"), ad)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(sealed)
			bad[i] ^= mask
			if pt, err := b.Open(bad, ad); err == nil {
				t.Fatalf("Open with byte %d ^ %#x = %q, nil error", i, mask, pt)
			}
		}
	}
	for n := range len(sealed) {
		if _, err := b.Open(sealed[:n], ad); err == nil {
			t.Fatalf("Open of the first %d bytes succeeded", n)
		}
	}
	if _, err := b.Open(append(bytes.Clone(sealed), 0), ad); err == nil {
		t.Fatal("Open with a trailing byte succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	b := testBox(t, 1)
	sealed, err := b.Seal([]byte("secret"), []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	v2 := bytes.Clone(sealed)
	v2[0] = 2
	tests := []struct {
		name    string
		box     *Box
		sealed  []byte
		ad      []byte
		wantErr string
	}{
		{name: "wrong associated data", box: b, sealed: sealed, ad: []byte("b"), wantErr: "authentication failed"},
		{name: "missing associated data", box: b, sealed: sealed, ad: nil, wantErr: "authentication failed"},
		{name: "wrong key", box: testBox(t, 2), sealed: sealed, ad: []byte("a"), wantErr: "different server key"},
		{name: "empty", box: b, sealed: nil, ad: nil, wantErr: "empty"},
		{name: "unknown version", box: b, sealed: v2, ad: []byte("a"), wantErr: "unknown format version 2"},
		{name: "short", box: b, sealed: sealed[:20], ad: []byte("a"), wantErr: "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := tt.box.Open(tt.sealed, tt.ad)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open = %q, %v; want error containing %q", pt, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q leaks the plaintext", err)
			}
		})
	}
}

func TestNewKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New(%d-byte key) = nil error, want one", n)
		}
	}
}

func TestNewCopiesKey(t *testing.T) {
	key := bytes.Repeat([]byte{1}, KeySize)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := b.Seal([]byte("x"), nil)
	key[0] = 9
	if _, err := b.Open(sealed, nil); err != nil {
		t.Fatalf("Open after the caller changed its key slice: %v", err)
	}
}

func TestDerive(t *testing.T) {
	b := testBox(t, 1)
	a1, a2 := b.Derive("auth installer tokens"), b.Derive("auth installer tokens")
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{name: "32 bytes", got: len(a1) == 32, want: true},
		{name: "stable", got: bytes.Equal(a1, a2), want: true},
		{name: "purpose separates", got: bytes.Equal(a1, b.Derive("other")), want: false},
		{name: "key separates", got: bytes.Equal(a1, testBox(t, 2).Derive("auth installer tokens")), want: false},
		{name: "not the raw key", got: bytes.Equal(a1, bytes.Repeat([]byte{1}, KeySize)), want: false},
		{name: "not the seal key", got: bytes.Equal(b.Derive(sealPurpose), a1), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}
