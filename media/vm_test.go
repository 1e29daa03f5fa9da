package media

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
)

// installerDir is the real installer from `make installer`.
func installerDir(t *testing.T) string {
	dir, _ := filepath.Abs("../build/installer")
	for _, f := range []string{KernelFile, InitrdFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing: run make installer", f)
			}
			testenv.Skip(t, "skipped: %s missing: run `make installer` first", f)
		}
	}
	return dir
}

// TestVMBootsGenericISO boots the generic image as a CD and, written with
// Write, as a USB stick, in BIOS and UEFI, until the installer kernel runs with the discovery command line.
func TestVMBootsGenericISO(t *testing.T) {
	testenv.SkipShort(t, "the media VM tier")
	lab.Require(t, "xorriso", "grub-mkrescue")
	needTools(t)
	iso := filepath.Join(t.TempDir(), "generic.iso")
	c := Config{InstallerDir: installerDir(t), Out: iso, ServerURL: "http://10.0.2.2:7480"}
	start := time.Now()
	if err := BuildGeneric(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(iso)
	t.Logf("generic ISO: %d bytes (%.1f MiB), built in %v", fi.Size(), float64(fi.Size())/(1<<20), time.Since(start).Round(time.Millisecond))
	stick := filepath.Join(t.TempDir(), "stick.img")
	if err := Write(context.Background(), WriteConfig{Image: iso, Target: stick, Force: true}); err != nil {
		t.Fatal(err)
	}
	for _, fw := range []lab.Firmware{lab.BIOS, lab.UEFI} {
		t.Run("cd-"+string(fw), func(t *testing.T) {
			t.Parallel()
			boot(t, lab.VMConfig{Firmware: fw, CDROM: iso})
		})
		t.Run("usb-"+string(fw), func(t *testing.T) {
			t.Parallel()
			boot(t, lab.VMConfig{Firmware: fw, Disks: []lab.Disk{{Path: stick, Bus: "usb", BootIndex: 1, ReadOnly: true}}})
		})
	}
}

// boot starts a VM from the media in c and waits for the installer.
func boot(t *testing.T, c lab.VMConfig) {
	fw := t.Name()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c.Name, c.Dir = "media", t.TempDir()
	c.Extra = []string{"-nic", "user,model=virtio-net-pci"}
	vm, err := lab.StartVM(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Stop()
	start := time.Now()
	re := regexp.MustCompile(`Command line: .*ingot\.server=http://10\.0\.2\.2:7480 ingot\.mode=discovery`)
	_, off, err := vm.Console.Wait(ctx, re, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: installer kernel running with the discovery command line after %v", fw, time.Since(start).Round(100*time.Millisecond))
	if _, _, err := vm.Console.Wait(ctx, regexp.MustCompile(`ingot: installer \S+ starting`), off); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: installer's first line after %v", fw, time.Since(start).Round(100*time.Millisecond))
}
