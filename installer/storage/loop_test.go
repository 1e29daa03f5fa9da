package storage

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/installer/clevis"
	"ingot.dev/ingot/installer/clevis/clevistest"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/internal/testenv"
)

// loopDisk attaches a sparse file of size bytes as a loop device with
// partition scanning.
func loopDisk(t *testing.T, size int64) plan.Disk {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Skip(t, "loop devices need root")
	}
	clevistest.Need(t, "losetup", "sgdisk", "cryptsetup", "wipefs", "partx", "mkfs.ext4", "mkfs.vfat", "clevis-luks-pass")
	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(file, size); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", "--partscan", file).Output()
	if err != nil {
		testenv.Skip(t, "losetup: %v (no loop devices here)", err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("losetup", "--detach", dev).Run() })
	return plan.Disk{Name: filepath.Base(dev), Path: dev, SizeBytes: size}
}

// TestLoopLUKS partitions a loop device, formats and binds a LUKS2 volume
// with real cryptsetup, tang and swtpm, checks it with sgdisk and clevis,
// then undoes it and checks the header is gone. dm-crypt, md and LVM run
// in the VM tier.
func TestLoopLUKS(t *testing.T) {
	d := loopDisk(t, 256<<20)
	tg, tp := clevistest.StartTang(t), clevistest.StartTPM(t)
	enc := &layout.Encryption{Threshold: 2, Tang: []layout.Tang{{URL: tg.URL, Thumbprints: []string{tg.Thumbprint}}}, TPM2: &layout.TPM2{}}
	l, err := layout.Preset("single", enc)
	if err != nil {
		t.Fatal(err)
	}
	l.Disks[0].Partitions[1].Size = 48 * layout.MiB
	l.Disks[0].Partitions[2].Size = 64 * layout.MiB
	sp, err := layout.Plan(l, plan.Inventory{TPM: plan.TPM{Present: true}, Disks: []plan.Disk{d}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := Exec{}
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}

	part := &Partition{R: r, Disk: sp.Disks[0]}
	if err := part.Do(ctx); err != nil {
		t.Fatal(err)
	}
	run("sgdisk", "--verify", d.Path)
	for _, fs := range sp.Filesystems[:2] { // the ESP and /boot: plain partitions
		if err := (&Mkfs{R: r, FS: fs}).Do(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run("fsck.vfat", "-n", sp.Filesystems[0].Device)
	run("e2fsck", "-fn", sp.Filesystems[1].Device)

	tpm := tp.Open(t)
	lk := &LUKS{R: r, Binder: clevis.Pins{TPM: tpm}, Policy: Policy(enc), Volume: sp.LUKS[0], TempDir: t.TempDir()}
	err = lk.Do(ctx)
	tpm.Close()
	if err != nil {
		t.Fatal(err)
	}
	dev := sp.LUKS[0].Device
	dump := run("cryptsetup", "luksDump", dev)
	for _, want := range []string{"clevis", "0: luks2", "1: luks2", "pbkdf2"} {
		if !strings.Contains(dump, want) {
			t.Errorf("luksDump lacks %q:\n%s", want, dump)
		}
	}
	cmd := exec.Command("clevis", "luks", "pass", "-d", dev, "-s", "1")
	cmd.Env = append(os.Environ(), "TPM2TOOLS_TCTI="+tp.TCTI)
	if out, err := cmd.Output(); err != nil || string(out) != lk.Key {
		t.Errorf("clevis luks pass = %q, %v; want the bound key", out, err)
	}
	rc := exec.Command("cryptsetup", "open", "--test-passphrase", "--key-slot", "0", "--key-file", "-", dev)
	rc.Stdin = strings.NewReader(lk.Recovery)
	if out, err := rc.CombinedOutput(); err != nil {
		t.Errorf("recovery passphrase does not open keyslot 0: %v %s", err, out)
	}

	if err := lk.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if exec.Command("cryptsetup", "isLuks", dev).Run() == nil {
		t.Error("LUKS header survives Undo")
	}
	if err := part.Undo(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLoopTangDown: with Tang unreachable the LUKS step fails naming the
// URL, and Apply's compensation leaves no LUKS header and no partitions.
func TestLoopTangDown(t *testing.T) {
	d := loopDisk(t, 128<<20)
	tg := clevistest.StartTang(t)
	tg.Stop()
	enc := &layout.Encryption{Tang: []layout.Tang{{URL: tg.URL, Thumbprints: []string{tg.Thumbprint}}}}
	l, _ := layout.Preset("single", enc)
	l.Disks[0].Partitions[1].Size = 48 * layout.MiB
	l.Disks[0].Partitions[2].Size = 16 * layout.MiB
	sp, err := layout.Plan(l, plan.Inventory{Disks: []plan.Disk{d}})
	if err != nil {
		t.Fatal(err)
	}
	steps := Steps(sp, Config{Runner: Exec{}, Binder: clevis.Pins{}, TempDir: t.TempDir()})
	err = Apply(context.Background(), slogDiscard(), steps)
	if err == nil || !strings.Contains(err.Error(), tg.URL) {
		t.Fatalf("Apply error = %v, want it to name %s", err, tg.URL)
	}
	if exec.Command("cryptsetup", "isLuks", sp.LUKS[0].Device).Run() == nil {
		t.Error("a LUKS header is left behind")
	}
	if out, _ := exec.Command("sgdisk", "--print", d.Path).CombinedOutput(); strings.Contains(string(out), "esp") {
		t.Errorf("partitions are left behind:\n%s", out)
	}
}
