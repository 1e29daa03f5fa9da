package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/internal/testenv"
)

func TestResolve(t *testing.T) {
	dep := `kernel/drivers/md/dm-crypt.ko: kernel/drivers/md/dm-mod.ko
kernel/drivers/md/dm-mod.ko:
kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
`
	tab, err := parseModulesDep(strings.NewReader(dep))
	if err != nil {
		t.Fatal(err)
	}
	order, missing := tab.resolve([]string{"dm-crypt", "ext4", "dm_mod", "tpm_tis", "nosuch"}, map[string]bool{"tpm_tis": true})
	want := []string{
		"kernel/drivers/md/dm-mod.ko", "kernel/drivers/md/dm-crypt.ko",
		"kernel/fs/jbd2/jbd2.ko", "kernel/fs/mbcache.ko", "kernel/lib/crc16.ko", "kernel/fs/ext4/ext4.ko",
	}
	if d := cmp.Diff(want, order); d != "" {
		t.Errorf("resolve() order (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"nosuch"}, missing); d != "" {
		t.Errorf("resolve() missing (-want +got):\n%s", d)
	}
}

// TestCPIO writes an archive and lists it with GNU cpio.
func TestCPIO(t *testing.T) {
	cpio, err := exec.LookPath("cpio")
	if err != nil {
		testenv.Skip(t, "cpio (Debian package cpio) is not installed: cannot check the archive")
	}
	a := archive{}
	a.add(entry{Name: "bin/busybox", Mode: modeFile | 0o755, Data: []byte("abc")})
	a.add(entry{Name: "bin/sh", Mode: modeSymlink | 0o777, Data: []byte("busybox")})
	a.add(entry{Name: "dev/console", Mode: modeChar | 0o600, Maj: 5, Min: 1})
	var buf bytes.Buffer
	if err := writeCPIO(&buf, a); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cpio, "-itv", "--quiet")
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -it: %v\n%s", err, out)
	}
	for _, want := range []string{"drwxr-xr-x", "bin/busybox", "bin/sh -> busybox", "crw-------", "5,   1", "dev/console"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("cpio listing lacks %q:\n%s", want, out)
		}
	}
}
