package auth

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidScope(t *testing.T) {
	tests := []struct {
		name    string
		scope   string
		wantErr string // substring; empty means valid
	}{
		{name: "admin", scope: "admin"},
		{name: "host read", scope: "host:read"},
		{name: "image build", scope: "image:build"},
		{name: "imageset manage", scope: "imageset:manage:debian-12"},
		{name: "imageset deploy", scope: "imageset:deploy:debian-12"},
		{name: "hostgroup manage", scope: "hostgroup:manage:web"},
		{name: "hostgroup deploy glob", scope: "hostgroup:deploy:rack-*"},
		{name: "host recovery", scope: "host:recovery:node1.example"},
		{name: "star glob", scope: "imageset:manage:*"},
		{name: "bracket glob", scope: "hostgroup:deploy:rack-[0-9]"},
		{name: "question glob", scope: "hostgroup:deploy:rack-?"},
		{name: "empty", scope: "", wantErr: `invalid scope ""`},
		{name: "unknown kind", scope: "cluster:manage:x", wantErr: "want one of admin, host:read"},
		{name: "admin with suffix", scope: "admin:x", wantErr: "want one of"},
		{name: "host read with name", scope: "host:read:x", wantErr: "want one of"},
		{name: "missing name", scope: "hostgroup:deploy:", wantErr: `name ""`},
		{name: "colon in name", scope: "hostgroup:deploy:a:b", wantErr: `name "a:b"`},
		{name: "glob across colon", scope: "hostgroup:*:web", wantErr: "want one of"},
		{name: "uppercase name", scope: "hostgroup:deploy:Web", wantErr: "lowercase"},
		{name: "slash in name", scope: "hostgroup:deploy:a/*", wantErr: "lowercase"},
		{name: "malformed glob", scope: "hostgroup:deploy:rack-[", wantErr: "malformed"},
		{name: "backslash glob", scope: `hostgroup:deploy:a\*`, wantErr: "lowercase"},
		{name: "installer refused", scope: "installer:d-1", wantErr: "issued by the server only"},
		{name: "name too long", scope: "host:recovery:" + strings.Repeat("a", 64), wantErr: "at most 63"},
		{name: "leading space", scope: " admin", wantErr: "want one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidScope(tt.scope)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidScope(%q) = %v, want nil", tt.scope, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ValidScope(%q) = %v, want error containing %q", tt.scope, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tt.scope)) {
				t.Errorf("error %q does not name the scope %q", err, tt.scope)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	tests := []struct {
		name    string
		granted []string
		need    string
		want    bool
	}{
		{name: "nothing granted", need: "host:read", want: false},
		{name: "exact", granted: []string{"host:read"}, need: "host:read", want: true},
		{name: "admin allows named", granted: []string{"admin"}, need: "hostgroup:deploy:web", want: true},
		{name: "admin allows installer", granted: []string{"admin"}, need: "installer:d-1", want: true},
		{name: "glob matches", granted: []string{"hostgroup:deploy:rack-*"}, need: "hostgroup:deploy:rack-12", want: true},
		{name: "glob does not match other name", granted: []string{"hostgroup:deploy:rack-*"}, need: "hostgroup:deploy:web", want: false},
		{name: "deploy does not imply manage", granted: []string{"hostgroup:deploy:*"}, need: "hostgroup:manage:web", want: false},
		{name: "manage does not imply deploy", granted: []string{"imageset:manage:*"}, need: "imageset:deploy:deb", want: false},
		{name: "hostgroup does not imply imageset", granted: []string{"hostgroup:deploy:*"}, need: "imageset:deploy:web", want: false},
		{name: "glob never crosses colon", granted: []string{"hostgroup:deploy:*"}, need: "hostgroup:deploy:web:extra", want: false},
		{name: "star needs a name", granted: []string{"hostgroup:deploy:*"}, need: "hostgroup:deploy:", want: false},
		{name: "bracket glob", granted: []string{"host:recovery:n[0-9]"}, need: "host:recovery:n7", want: true},
		{name: "bracket glob miss", granted: []string{"host:recovery:n[0-9]"}, need: "host:recovery:nx", want: false},
		{name: "glob need needs star", granted: []string{"hostgroup:deploy:rack-*"}, need: "hostgroup:deploy:*", want: false},
		{name: "glob need with star grant", granted: []string{"hostgroup:deploy:*"}, need: "hostgroup:deploy:rack-*", want: true},
		{name: "exact glob need", granted: []string{"hostgroup:deploy:rack-[12]"}, need: "hostgroup:deploy:rack-[12]", want: true},
		{name: "installer exact", granted: []string{"installer:d-1"}, need: "installer:d-1", want: true},
		{name: "installer other deployment", granted: []string{"installer:d-1"}, need: "installer:d-2", want: false},
		{name: "installer is not admin", granted: []string{"installer:d-1"}, need: "host:read", want: false},
		{name: "malformed grant is inert", granted: []string{"hostgroup:deploy:[", "hostgroup:deploy:A*"}, need: "hostgroup:deploy:Ab", want: false},
		{name: "prefix is not a match", granted: []string{"hostgroup:deploy:web"}, need: "hostgroup:deploy:web2", want: false},
		{name: "second grant matches", granted: []string{"host:read", "imageset:deploy:deb*"}, need: "imageset:deploy:debian", want: true},
		{name: "admin substring is not admin", granted: []string{"admin:x", "xadmin"}, need: "host:read", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Allows(tt.granted, tt.need); got != tt.want {
				t.Errorf("Allows(%q, %q) = %v, want %v", tt.granted, tt.need, got, tt.want)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	tests := []struct {
		name    string
		granted []string
		need    []string
		want    []string
	}{
		{name: "none needed", granted: nil, need: nil, want: nil},
		{name: "all granted", granted: []string{"admin"}, need: []string{"host:read", "imageset:deploy:x"}, want: nil},
		{
			name:    "some missing in order",
			granted: []string{"hostgroup:deploy:web"},
			need:    []string{"imageset:deploy:deb", "hostgroup:deploy:web", "host:read"},
			want:    []string{"imageset:deploy:deb", "host:read"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Missing(tt.granted, tt.need...)); diff != "" {
				t.Errorf("Missing() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzScope(f *testing.F) {
	seeds := [][2]string{
		{"admin", "host:read"},
		{"hostgroup:deploy:rack-*", "hostgroup:deploy:rack-1"},
		{"imageset:manage:*", "imageset:manage:a:b"},
		{"host:recovery:n[0-9]", "host:recovery:n["},
		{"hostgroup:deploy:[", "hostgroup:deploy:x"},
		{"installer:d-1", "installer:d-1"},
		{"hostgroup:deploy:\\", "hostgroup:deploy:*"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, granted, need string) {
		validGrant := ValidScope(granted) == nil
		_ = ValidScope(need)
		got := Allows([]string{granted}, need)
		if !Allows([]string{granted}, granted) {
			t.Fatalf("Allows(%q, itself) = false", granted)
		}
		if !Allows([]string{Admin}, need) {
			t.Fatalf("admin does not allow %q", need)
		}
		if got && granted != need && granted != Admin && !validGrant {
			t.Fatalf("invalid grant %q allows %q", granted, need)
		}
		if got && granted != need && granted != Admin && strings.Count(need, ":") != strings.Count(granted, ":") {
			t.Fatalf("grant %q allows %q across ':'", granted, need)
		}
		if m := Missing([]string{granted}, need); (len(m) == 0) != got {
			t.Fatalf("Missing(%q, %q) = %q disagrees with Allows = %v", granted, need, m, got)
		}
	})
}
