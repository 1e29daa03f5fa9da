package install

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
)

func planFor(t *testing.T, preset string, enc *layout.Encryption) layout.StoragePlan {
	t.Helper()
	l, err := layout.Preset(preset, enc)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := layout.Plan(l, plan.Inventory{Firmware: api.FirmwareUEFI, TPM: plan.TPM{Present: true},
		Disks: []plan.Disk{{Name: "vda", Path: "/dev/vda", SizeBytes: 32 << 30}, {Name: "vdb", Path: "/dev/vdb", SizeBytes: 32 << 30}}})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestRole(t *testing.T) {
	for mount, want := range map[string]string{"/": "root", "/boot/efi": "esp", "/var": "var", "/var/log/audit": "var-log-audit", "/home": "home"} {
		if got := Role(mount); got != want {
			t.Errorf("Role(%q) = %q, want %q", mount, got, want)
		}
	}
}

func TestRootArg(t *testing.T) {
	tests := []struct{ preset, want string }{
		{"single", ""}, // root=UUID of the payload holds
		{"mirror", ""}, // md assembled by mdadm, UUID holds
		{"cis", "/dev/mapper/vg0-root"},
		{"mirror+cis", "/dev/mapper/vg0-root"},
	}
	for _, tt := range tests {
		if got := RootArg(planFor(t, tt.preset, nil)); got != tt.want {
			t.Errorf("RootArg(%s) = %q, want %q", tt.preset, got, tt.want)
		}
	}
	cfg := "menuentry 'x' {\n\tlinux /vmlinuz root=UUID=d057 ro console=ttyS0\n\tinitrd /initrd.img\n}\n"
	want := "menuentry 'x' {\n\tlinux /vmlinuz root=/dev/mapper/vg0-root ro console=ttyS0\n\tinitrd /initrd.img\n}\n"
	if diff := cmp.Diff(want, SetRoot(cfg, "/dev/mapper/vg0-root")); diff != "" {
		t.Errorf("SetRoot (-want +got):\n%s", diff)
	}
	if SetRoot(cfg, "") != cfg {
		t.Error("SetRoot with no root changed the config")
	}
}

func TestMountOrder(t *testing.T) {
	var got []string
	for _, fs := range mountOrder(planFor(t, "mirror+cis", nil)) {
		got = append(got, fs.Mount)
	}
	want := []string{"/", "/boot", "/boot/efi", "/home", "/tmp", "/var", "/var/log", "/var/log/audit", "/var/tmp"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mount order (-want +got):\n%s", diff)
	}
}

func TestMissingHooks(t *testing.T) {
	enc := &layout.Encryption{TPM2: &layout.TPM2{}}
	sp := planFor(t, "mirror+cis", enc)
	dir := t.TempDir()
	want := []string{"hooks/cryptroot", "scripts/local-top/clevis", "hooks/mdadm", "hooks/lvm2"}
	if diff := cmp.Diff(want, missingHooks(sp, dir)); diff != "" {
		t.Errorf("missing hooks of an empty tree (-want +got):\n%s", diff)
	}
	for _, h := range want[:3] {
		p := filepath.Join(dir, "usr/share/initramfs-tools", h)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got := missingHooks(sp, dir); !slices.Equal(got, []string{"hooks/lvm2"}) {
		t.Errorf("missing hooks = %v, want only lvm2", got)
	}
	if got := missingHooks(planFor(t, "single", nil), t.TempDir()); len(got) != 0 {
		t.Errorf("plain single needs hooks %v", got)
	}
}
