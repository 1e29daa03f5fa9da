package layout

import (
	"strings"
	"testing"
)

func TestFromHostgroup(t *testing.T) {
	const enc = "threshold: 2\ntang: [{url: 'http://tang:7500', thumbprints: [x8R9Jd0Y0gRJ4vYXcYQd3l2w8w6bnTbVbWq2mA4bEdc]}]\ntpm2: {}\n"
	spec, err := Marshal(mustPreset(t, "mirror", nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, layout, enc string
		whole             bool
		luks              int
		wantErr           string
	}{
		{name: "empty is the whole disk", whole: true},
		{name: "single is the whole disk", layout: "single", whole: true},
		{name: "single with encryption", layout: "single", enc: enc, luks: 1},
		{name: "encryption alone encrypts single", enc: enc, luks: 1},
		{name: "preset", layout: "mirror+cis"},
		{name: "preset with encryption", layout: " mirror+cis\n", enc: enc, luks: 1},
		{name: "inline spec", layout: string(spec)},
		{name: "inline spec with encryption but no luks", layout: string(spec), enc: enc, wantErr: "encryption"},
		{name: "preset document", layout: "{preset: cis, encryption: {tpm2: {}}}", luks: 1},
		{name: "both policies", layout: "{preset: cis, encryption: {tpm2: {}}}", enc: enc, wantErr: "set only one"},
		{name: "unknown preset", layout: "raid5", wantErr: "layout:"},
		{name: "unknown encryption field", layout: "mirror", enc: "treshold: 2", wantErr: "encryption: want a YAML or JSON policy"},
		{name: "tang without thumbprint", layout: "mirror", enc: "tang: [{url: 'http://tang'}]", wantErr: "thumbprints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, whole, err := FromHostgroup(tt.layout, tt.enc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromHostgroup error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if whole != tt.whole || len(l.LUKS) != tt.luks {
				t.Errorf("whole = %t, %d LUKS volumes; want %t, %d", whole, len(l.LUKS), tt.whole, tt.luks)
			}
		})
	}
}

// FuzzFromHostgroup: whatever a hostgroup holds, FromHostgroup returns an
// error or a layout that validates, never panics.
func FuzzFromHostgroup(f *testing.F) {
	f.Add("mirror+cis", "threshold: 2\ntpm2: {}")
	f.Add("{preset: cis}", "")
	f.Add(`{"disks":[{"name":"os","partitions":[{"name":"r","size":"rest","type":"linux"}]}],"filesystems":[{"device":"r","type":"ext4","mount":"/"}]}`, "tpm2: {pcr_ids: [7]}")
	f.Fuzz(func(t *testing.T, spec, enc string) {
		l, whole, err := FromHostgroup(spec, enc)
		if err != nil || whole {
			return
		}
		if errs := Validate(l); len(errs) > 0 {
			t.Fatalf("FromHostgroup(%q, %q) returned an invalid layout: %v", spec, enc, errs)
		}
	})
}
