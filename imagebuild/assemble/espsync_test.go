package assemble

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteESPSync: a Debian tree gets the hook and a link to it in each
// kernel and initramfs hook directory; a bootable container's tree (its
// kernel in /usr/lib/modules) gets nothing. The hook itself runs in the
// installed system of the VM tier (internal/e2e, TestDeployStorage): this
// machine's kernel cannot mount FAT.
func TestWriteESPSync(t *testing.T) {
	tree := fakeTree(t)
	if err := os.MkdirAll(filepath.Join(tree, "etc/kernel/postinst.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	k, err := FindKernel(tree)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeESPSync(tree, k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(tree, ESPSyncPath))
	if err != nil || fi.Mode().Perm() != 0o755 || fi.Size() != int64(len(espSync)) {
		t.Fatalf("%s: %v %v", ESPSyncPath, fi, err)
	}
	for _, l := range espSyncLinks {
		if dst, err := os.Readlink(filepath.Join(tree, l)); err != nil || dst != ESPSyncPath {
			t.Errorf("%s -> %q (%v), want a link to %s", l, dst, err, ESPSyncPath)
		}
	}
	if err := writeESPSync(tree, k); err != nil { // a rebuild over the same tree
		t.Errorf("second run: %v", err)
	}

	for name, mk := range map[string]func(string){
		"bootable container": func(tree string) {
			os.RemoveAll(filepath.Join(tree, "boot"))
			writeFile(t, filepath.Join(tree, "usr/lib/modules/6.8.0/vmlinuz"), "kernel")
			writeFile(t, filepath.Join(tree, "usr/lib/modules/6.8.0/initramfs.img"), "initrd")
			os.MkdirAll(filepath.Join(tree, "etc/kernel/postinst.d"), 0o755)
		},
		"no kernel hooks": func(string) {},
	} {
		tree := fakeTree(t)
		mk(tree)
		k, err := FindKernel(tree)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeESPSync(tree, k); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(tree, ESPSyncPath)); err == nil {
			t.Errorf("%s: the hook was installed", name)
		}
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
