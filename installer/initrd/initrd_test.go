package initrd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"ingot.dev/ingot/internal/testenv"
)

// TestOverlay: a concatenation of an archive and an overlay unpacks (with
// the real cpio, as the kernel would) to the overlay's files in their
// directories, with their contents.
func TestOverlay(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		testenv.Skip(t, "cpio is not installed (apt-get install cpio)")
	}
	files := []File{
		{Name: "cryptroot/crypttab", Data: []byte("crypt UUID=1 none luks,discard,initramfs\n")},
		{Name: "/etc/mdadm/mdadm.conf", Data: []byte("ARRAY /dev/md/md-data UUID=a:b:c:d\n")},
		{Name: "etc/mdadm/empty"},
	}
	ov, err := Overlay(files)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", "gzip -dc | cpio -idm --quiet")
	cmd.Dir, cmd.Stdin = dir, bytes.NewReader(ov)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unpacking the overlay: %v: %s", err, out)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s = %q (%v), want %q", f.Name, got, err, f.Data)
		}
	}
}
