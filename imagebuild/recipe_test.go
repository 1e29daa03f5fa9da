package imagebuild

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in string
		want     Recipe
		wantErr  string
	}{
		{name: "yaml with defaults", in: "name: deb\nbackend: debootstrap\nsuite: bookworm\nsize: 2GiB\n",
			want: Recipe{Name: "deb", Backend: "debootstrap", Arch: "amd64", Firmware: Both, Suite: "bookworm", Size: 2 * GiB,
				Layout: Layout{Preset: PresetSingle, Encryption: EncryptNone}}},
		{name: "json", in: `{"name":"x","backend":"oci","reference":"/l","firmware":"uefi","size":1048576}`,
			want: Recipe{Name: "x", Backend: "oci", Arch: "amd64", Firmware: UEFI, Reference: "/l", Size: MiB,
				Layout: Layout{Preset: PresetSingle, Encryption: EncryptNone}}},
		{name: "cis preset fills the split", in: "name: c\nbackend: debootstrap\nsuite: bookworm\nlayout: {preset: cis}\n",
			want: Recipe{Name: "c", Backend: "debootstrap", Arch: "amd64", Firmware: Both, Suite: "bookworm",
				Layout: Layout{Preset: PresetCIS, Encryption: EncryptNone, Split: []Mount{{Path: "/home"}, {Path: "/tmp"}, {Path: "/var"}, {Path: "/var/log"}, {Path: "/var/log/audit"}, {Path: "/var/tmp"}}}}},
		{name: "unknown field", in: "name: x\nbackend: debootstrap\nsuit: bookworm\n", wantErr: `suit: unknown field`},
		{name: "unknown nested field", in: "name: x\nbackend: oci\nlayout: {presets: cis}\n", wantErr: `layout.presets: unknown field`},
		{name: "unknown field in a list", in: "name: x\nbackend: oci\nlayout: {split: [{path: /var}, {path: /tmp, sise: 1G}]}\n", wantErr: `layout.split[1].sise: unknown field`},
		{name: "bad firmware", in: "name: x\nbackend: oci\nfirmware: coreboot\n", wantErr: `firmware "coreboot"`},
		{name: "bad name", in: "name: X Y\nbackend: oci\n", wantErr: `recipe name "X Y"`},
		{name: "no backend", in: "name: x\n", wantErr: "backend is empty"},
		{name: "bad size", in: "name: x\nbackend: oci\nsize: 2 lots\n", wantErr: `size "2 lots"`},
		{name: "bad package", in: "name: x\nbackend: debootstrap\npackages: [\"rm -rf\"]\n", wantErr: `package "rm -rf"`},
		{name: "bad split", in: "name: x\nbackend: oci\nlayout: {split: [{path: var}]}\n", wantErr: `split "var"`},
		{name: "split of /usr", in: "name: x\nbackend: oci\nlayout: {split: [{path: /usr}]}\n", wantErr: `split "/usr"`},
		{name: "bad encryption", in: "name: x\nbackend: oci\nlayout: {encryption: rot13}\n", wantErr: `encryption "rot13"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decode error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLayoutPackages(t *testing.T) {
	tests := []struct {
		name   string
		layout Layout
		want   []string
	}{
		{"single", Layout{}, nil},
		{"cis needs lvm2", Layout{Preset: PresetCIS}, []string{"lvm2"}},
		{"mirror", Layout{Preset: PresetMirror}, []string{"mdadm"}},
		{"tang", Layout{Encryption: EncryptTang}, []string{"clevis", "clevis-initramfs", "clevis-luks", "cryptsetup", "cryptsetup-initramfs"}},
		{"tpm2", Layout{Encryption: EncryptTPM2}, []string{"clevis", "clevis-initramfs", "clevis-luks", "clevis-tpm2", "cryptsetup", "cryptsetup-initramfs"}},
		{"mirror+cis with tang+tpm2", Layout{Preset: PresetMirrorCIS, Encryption: EncryptTangTPM},
			[]string{"clevis", "clevis-initramfs", "clevis-luks", "clevis-tpm2", "cryptsetup", "cryptsetup-initramfs", "lvm2", "mdadm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, LayoutPackages(tt.layout)); diff != "" {
				t.Errorf("LayoutPackages (-want +got):\n%s", diff)
			}
		})
	}
	r := Recipe{Packages: []string{"mdadm", "vim"}, Layout: Layout{Preset: PresetMirror}}
	if diff := cmp.Diff([]string{"mdadm", "vim"}, r.AllPackages()); diff != "" {
		t.Errorf("AllPackages merges and dedups (-want +got):\n%s", diff)
	}
}

func TestRecipeHash(t *testing.T) {
	a := Recipe{Name: "a", Backend: "debootstrap", Suite: "bookworm", Packages: []string{"x"}}
	b := a
	b.Packages = []string{"y"}
	if a.Hash() == b.Hash() {
		t.Error("recipes with different packages hash the same")
	}
	if a.Hash() != a.WithDefaults().Hash() {
		t.Error("filling defaults changes the hash")
	}
}

func TestSize(t *testing.T) {
	for in, want := range map[string]Size{"0": 0, "4096": 4096, "512MiB": 512 * MiB, "2G": 2 * GiB, "1 TiB": TiB} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if s := (3 * GiB).String(); s != "3GiB" {
		t.Errorf("String = %q", s)
	}
}

type fakeBuilder struct{ name string }

func (f fakeBuilder) Name() string                                               { return f.name }
func (fakeBuilder) Validate(Recipe) error                                        { return nil }
func (fakeBuilder) Capabilities() Capabilities                                   { return Capabilities{} }
func (fakeBuilder) Build(_ context.Context, _ Recipe, _ string) (*Result, error) { return nil, nil }

func TestRegistry(t *testing.T) {
	reg := NewRegistry(fakeBuilder{"b"}, fakeBuilder{"a"})
	if diff := cmp.Diff([]string{"a", "b"}, reg.Names()); diff != "" {
		t.Error(diff)
	}
	_, err := reg.Lookup("nope")
	if !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "a, b") {
		t.Errorf("Lookup(nope) = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a duplicate name did not panic")
		}
	}()
	reg.Register(fakeBuilder{"a"})
}
