package bootentry

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	efi "github.com/canonical/go-efilib"

	"ingot.dev/ingot/internal/testenv"
)

func TestOption(t *testing.T) {
	sgdisk, err := exec.LookPath("sgdisk")
	if err != nil {
		testenv.Skip(t, "sgdisk (Debian package gdisk) is not installed: cannot build the test's partition table")
	}
	path := filepath.Join(t.TempDir(), "disk.img")
	os.WriteFile(path, nil, 0o644)
	os.Truncate(path, 64<<20)
	if out, err := exec.Command(sgdisk, "-n1:2048:+16M", "-t1:EF00", "-u1:6A8E1C6B-4F2C-4B5A-9D1E-0123456789AB", "-n2:0:0", path).CombinedOutput(); err != nil {
		t.Fatalf("sgdisk: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opt, err := Option(f, 64<<20, 1, Loader, "Ingot web-001")
	if err != nil {
		t.Fatal(err)
	}
	hd, ok := opt.FilePath[0].(*efi.HardDriveDevicePathNode)
	if !ok || hd.PartitionNumber != 1 || hd.PartitionStart != 2048 || hd.PartitionSize != 32768 || hd.MBRType != efi.GPT {
		t.Errorf("hard drive node = %#v", opt.FilePath[0])
	}
	got := opt.String()
	for _, want := range []string{"Ingot web-001", "HD(1,GPT,6a8e1c6b-4f2c-4b5a-9d1e-0123456789ab)", `\EFI\BOOT\BOOTX64.EFI`} {
		if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
			t.Errorf("Option() = %s, want it to contain %s", got, want)
		}
	}
	if b, err := opt.Bytes(); err != nil || len(b) < 50 {
		t.Errorf("Option().Bytes() = %d bytes, %v", len(b), err)
	}
}

func TestLoaderFor(t *testing.T) {
	if got := LoaderFor("arm64"); got != `\EFI\BOOT\BOOTAA64.EFI` {
		t.Errorf("arm64: %s", got)
	}
	if got := LoaderFor("amd64"); got != `\EFI\BOOT\BOOTX64.EFI` {
		t.Errorf("amd64: %s", got)
	}
}
