package disk

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/internal/testenv"
)

// TestGrowGPT partitions a 64 MiB image with sgdisk (an ESP and a Linux
// root at the end), puts it on a 256 MiB "disk", grows it, and asks sgdisk
// whether the result is valid and where the root now ends.
func TestGrowGPT(t *testing.T) {
	sgdisk, err := exec.LookPath("sgdisk")
	if err != nil {
		testenv.Skip(t, "sgdisk (Debian package gdisk) is not installed: cannot build the test's partition table")
	}
	path := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 64<<20); err != nil {
		t.Fatal(err)
	}
	sh(t, sgdisk, "-n1:2048:+16M", "-t1:EF00", "-n2:0:0", "-t2:8300", path)
	if err := os.Truncate(path, 256<<20); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := GrowGPT(f, 256<<20)
	if err != nil {
		t.Fatalf("GrowGPT: %v", err)
	}
	if n != 2 {
		t.Errorf("GrowGPT grew partition %d, want 2", n)
	}
	if out := sh(t, sgdisk, "-v", path); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v after GrowGPT:\n%s", out)
	}
	// 256 MiB = 524288 sectors; 33 for the backup table: last usable 524254.
	if out := sh(t, sgdisk, "-i2", path); !strings.Contains(out, "Last sector: 524254") {
		t.Errorf("partition 2 after GrowGPT:\n%s", out)
	}
	// Growing again is a no-op that still verifies.
	if n, err := GrowGPT(f, 256<<20); err != nil || n != 0 {
		t.Errorf("second GrowGPT = %d, %v; want 0, nil", n, err)
	}
}

func TestGrowGPTNoGPT(t *testing.T) {
	path := filepath.Join(t.TempDir(), "blank.img")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := GrowGPT(f, 2<<20); !errors.Is(err, ErrNoGPT) {
		t.Errorf("GrowGPT(blank) = %v, want ErrNoGPT", err)
	}
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
