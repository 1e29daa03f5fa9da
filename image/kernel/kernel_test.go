package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func touch(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		f := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		version string
		initrd  string
	}{
		{"debian newest wins", []string{"boot/vmlinuz-6.1.0-9-amd64", "boot/initrd.img-6.1.0-9-amd64",
			"boot/vmlinuz-6.1.0-10-amd64", "boot/initrd.img-6.1.0-10-amd64"}, "6.1.0-10-amd64", "boot/initrd.img-6.1.0-10-amd64"},
		{"kernel without initrd ignored", []string{"boot/vmlinuz-6.2.0", "boot/vmlinuz-6.1.0", "boot/initrd.img-6.1.0"}, "6.1.0", "boot/initrd.img-6.1.0"},
		{"bootable container", []string{"usr/lib/modules/6.8.5-301.fc40.x86_64/vmlinuz", "usr/lib/modules/6.8.5-301.fc40.x86_64/initramfs.img"},
			"6.8.5-301.fc40.x86_64", "usr/lib/modules/6.8.5-301.fc40.x86_64/initramfs.img"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			touch(t, root, tt.files...)
			k, err := Find(root)
			if err != nil {
				t.Fatal(err)
			}
			if k.Version != tt.version || k.Initrd != filepath.Join(root, tt.initrd) {
				t.Errorf("Find = %+v; want version %s, initrd %s", k, tt.version, tt.initrd)
			}
		})
	}
	if _, err := Find(t.TempDir()); !errors.Is(err, ErrNoKernel) {
		t.Errorf("empty tree: %v; want ErrNoKernel", err)
	}
}
