package debootstrap

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestMirrorFor(t *testing.T) {
	deb822 := "Types: deb\n# comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n" +
		"Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n"
	tests := []struct {
		name, suite, want string
		files             fstest.MapFS
		wantErr           error
	}{
		{name: "deb822", suite: "bookworm", want: "http://mirror.example/debian",
			files: fstest.MapFS{"etc/apt/sources.list.d/debian.sources": {Data: []byte(deb822)}}},
		{name: "deb822 second stanza", suite: "bookworm-security", want: "http://security.example/debian-security",
			files: fstest.MapFS{"etc/apt/sources.list.d/debian.sources": {Data: []byte(deb822)}}},
		{name: "one-line with options", suite: "bookworm", want: "http://one.example/debian",
			files: fstest.MapFS{"etc/apt/sources.list": {Data: []byte("deb-src http://src.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n")}}},
		{name: "disabled stanza skipped", suite: "bookworm", want: "http://b.example/d",
			files: fstest.MapFS{"etc/apt/sources.list.d/a.sources": {Data: []byte("Enabled: no\nTypes: deb\nURIs: http://a.example/d\nSuites: bookworm\n\nTypes: deb\nURIs: http://b.example/d\nSuites: bookworm\n")}}},
		{name: "no source for the suite", suite: "trixie", wantErr: ErrNoMirror,
			files: fstest.MapFS{"etc/apt/sources.list.d/debian.sources": {Data: []byte(deb822)}}},
		{name: "no sources at all", suite: "bookworm", wantErr: ErrNoMirror, files: fstest.MapFS{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MirrorFor(tt.files, tt.suite)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("MirrorFor = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
