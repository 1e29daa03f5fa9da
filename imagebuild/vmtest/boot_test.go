package vmtest

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/imagebuild/internal/testimage"
	"ingot.dev/ingot/internal/lab"
)

var reached = regexp.MustCompile(`Reached target .*Multi-User System`)

func TestBoot(t *testing.T) {
	testimage.Require(t)
	lab.Require(t)
	a := testimage.Cached(t, testimage.Recipe())
	disk := a.Payloads[0]
	if disk.Role != "disk" {
		t.Fatalf("first payload is %s, want the disk", disk.Role)
	}
	for _, fw := range []lab.Firmware{lab.BIOS, lab.UEFI} {
		t.Run(string(fw), func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, "disk.raw")
			if out, err := exec.Command("cp", "--sparse=always", disk.Path, img).CombinedOutput(); err != nil {
				t.Fatalf("copying disk: %v: %s", err, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			start := time.Now()
			vm, err := lab.StartVM(ctx, lab.VMConfig{Name: "imagebuild-" + string(fw), Dir: dir, Firmware: fw,
				Disks: []lab.Disk{{Path: img, BootIndex: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Stop()
			if _, _, err := vm.Console.Wait(ctx, reached, 0); err != nil {
				t.Fatalf("%s boot: %v\nconsole:\n%s", fw, err, tail(vm.Console.Text(), 40))
			}
			t.Logf("%s: multi-user.target after %v", fw, time.Since(start).Round(100*time.Millisecond))
			// fstab names the ESP and root by their derived UUIDs: a wrong
			// one shows as a failed mount.
			if text := vm.Console.Text(); strings.Contains(text, "Failed to mount") {
				t.Errorf("a filesystem failed to mount:\n%s", tail(text, 60))
			}
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
