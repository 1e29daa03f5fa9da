package auth

import (
	"bytes"
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"ingot.dev/ingot/api"
)

var secretRE = regexp.MustCompile(`^ingot_[0-9A-Za-z]{43}$`)

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, h := NewSecret()
		if !secretRE.MatchString(s) {
			t.Fatalf("NewSecret() = %q, want ingot_ and 43 base62 characters", s)
		}
		if seen[s] {
			t.Fatalf("NewSecret() repeated %q", s)
		}
		seen[s] = true
		want := sha256.Sum256([]byte(s))
		if !bytes.Equal(h, want[:]) || !HashEqual(h, Hash(s)) {
			t.Fatalf("hash of %q is %x, want %x", s, h, want)
		}
	}
}

func TestHashEqual(t *testing.T) {
	a := Hash("ingot_a")
	if !HashEqual(a, Hash("ingot_a")) {
		t.Error("HashEqual of equal hashes = false")
	}
	if HashEqual(a, Hash("ingot_b")) {
		t.Error("HashEqual of different hashes = true")
	}
	if HashEqual(a, a[:16]) {
		t.Error("HashEqual of a prefix = true")
	}
}

func TestBase62(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{name: "empty", in: nil, want: ""},
		{name: "zero byte", in: []byte{0}, want: "00"},
		{name: "one", in: []byte{1}, want: "01"},
		{name: "61 and 62", in: []byte{62}, want: "10"},
		{name: "max byte", in: []byte{255}, want: "47"},
		{name: "two bytes", in: []byte{0xff, 0xff}, want: "H31"},
		{name: "32 zero bytes", in: make([]byte, 32), want: strings.Repeat("0", 43)},
		{name: "32 max bytes", in: bytes.Repeat([]byte{0xff}, 32), want: "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, base62(tt.in)); diff != "" {
				t.Errorf("base62(%x) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDeriver(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	d, err := NewDeriver(key)
	if err != nil {
		t.Fatal(err)
	}
	key[0] = 8 // the Deriver must have copied the key
	d2, _ := NewDeriver(bytes.Repeat([]byte{7}, 32))
	other, _ := NewDeriver(bytes.Repeat([]byte{9}, 32))

	s := d.InstallerSecret("dep-1")
	if !regexp.MustCompile(`^ingot_inst_[0-9A-Za-z]{43}$`).MatchString(s) {
		t.Fatalf("InstallerSecret = %q, want ingot_inst_ and 43 base62 characters", s)
	}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{name: "stable", got: s == d.InstallerSecret("dep-1"), want: true},
		{name: "same key same secret", got: s == d2.InstallerSecret("dep-1"), want: true},
		{name: "other key other secret", got: s == other.InstallerSecret("dep-1"), want: false},
		{name: "other deployment other secret", got: s == d.InstallerSecret("dep-2"), want: false},
		{name: "check accepts", got: d.CheckInstaller("dep-1", s), want: true},
		{name: "check refuses other deployment", got: d.CheckInstaller("dep-2", s), want: false},
		{name: "check refuses prefix", got: d.CheckInstaller("dep-1", s[:len(s)-1]), want: false},
		{name: "check refuses other key", got: other.CheckInstaller("dep-1", s), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// TestInstallerSecretKnownAnswer pins the derivation so that a change to it
// (which would break tokens already on kernel command lines) is noticed.
func TestInstallerSecretKnownAnswer(t *testing.T) {
	d, err := NewDeriver(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	got := d.InstallerSecret(api.DeploymentID("d-1"))
	// Computed independently: base62(HMAC-SHA256(32 zero bytes, "installer:d-1")).
	want := "ingot_inst_nrnN53rsSjvWImVt0zmZvRVbPHCyDCpJ64RY0kYlYyC"
	if got != want {
		t.Errorf("InstallerSecret = %q, want %q", got, want)
	}
}

func TestNewDeriverKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewDeriver(make([]byte, n)); err == nil {
			t.Errorf("NewDeriver(%d-byte key) = nil error, want one", n)
		}
	}
}
