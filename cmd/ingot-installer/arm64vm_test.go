package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"ingot.dev/ingot/internal/testenv"
)

// AAVMF, the UEFI firmware of qemu's arm64 virt machine (Debian package
// qemu-efi-aarch64).
const (
	aavmfCode = "/usr/share/AAVMF/AAVMF_CODE.fd"
	aavmfVars = "/usr/share/AAVMF/AAVMF_VARS.fd"
)

// TestVMArm64 builds the arm64 installer (make installer ARCH=arm64: Debian's
// arm64 kernel and tools, ingot-installer cross-compiled) and boots it in
// qemu-system-aarch64 (virt, TCG, UEFI like every arm64 server: the firmware
// starts the kernel's EFI stub) in discovery mode on QEMU user networking:
// the installer must load every module of its list (dm-crypt's included),
// get a DHCP lease and post an arm64 UEFI inventory. A second boot installs
// an image, which runs the arm64 sgdisk, e2fsck and resize2fs with their
// libraries.
func TestVMArm64(t *testing.T) {
	testenv.SkipShort(t, "the installer VM test")
	qemu, err := exec.LookPath("qemu-system-aarch64")
	if err != nil {
		testenv.Skip(t, "qemu-system-aarch64 is not installed (Debian package qemu-system-arm): cannot boot the arm64 installer")
	}
	vars, err := os.ReadFile(aavmfVars)
	if err != nil {
		testenv.Skip(t, "%s is missing (Debian package qemu-efi-aarch64): cannot boot arm64 UEFI", aavmfVars)
	}
	if _, err := exec.LookPath("cpio"); err != nil {
		testenv.Skip(t, "cpio (Debian package cpio) is not installed: cannot read the initramfs")
	}
	out := buildInstaller(t, "arm64", "build/installer-arm64")
	if b, err := os.ReadFile(filepath.Join(out, "vmlinuz")); err != nil || !bytes.Equal(b[56:60], []byte("ARM\x64")) {
		t.Fatalf("vmlinuz is not an arm64 kernel Image (err %v)", err)
	}
	modules := initramfsFile(t, filepath.Join(out, "initramfs.cpio.gz"), "etc/ingot/modules")
	for _, m := range []string{"/virtio_net.ko", "/dm-mod.ko", "/dm-crypt.ko", "/ecb.ko", "/xts.ko", "/aes-ce-blk.ko"} {
		if !strings.Contains(modules, m) {
			t.Errorf("the module list lacks %s:\n%s", m, modules)
		}
	}
	srv := installServer(t, "arm64", "uefi")
	server := serveUserNet(t, srv)
	dir := t.TempDir()
	disk, varsCopy := filepath.Join(dir, "vda.img"), filepath.Join(dir, "vars.fd")
	if err := os.WriteFile(varsCopy, vars, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(disk, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(disk, 128<<20); err != nil {
		t.Fatal(err)
	}
	vm := func(name, params string) string {
		t.Helper()
		return runQEMU(t, name, 6*time.Minute, qemu, "-M", "virt", "-cpu", "max", "-accel", "tcg",
			"-m", "1024", "-smp", "1", "-nographic", "-no-reboot",
			"-drive", "if=pflash,format=raw,readonly=on,file="+aavmfCode, "-drive", "if=pflash,format=raw,file="+varsCopy,
			"-kernel", filepath.Join(out, "vmlinuz"), "-initrd", filepath.Join(out, "initramfs.cpio.gz"),
			"-append", "console=ttyAMA0 panic=-1 "+params,
			"-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:41",
			"-device", "virtio-rng-pci",
			"-drive", "file="+disk+",if=none,id=d0,format=raw", "-device", "virtio-blk-pci,drive=d0,serial=ingot-vd-1")
	}

	begin := time.Now()
	con := vm("arm64-discovery", "ingot.server="+server+" ingot.mode=discovery")

	want := strings.Count(strings.TrimSpace(modules), "\n") + 1
	m := regexp.MustCompile(`ingot: (\d+) modules loaded`).FindStringSubmatch(con)
	if m == nil {
		t.Fatalf("the console shows no module loading; console:\n%s", con)
	}
	if n, _ := strconv.Atoi(m[1]); n != want {
		t.Errorf("%s of %d listed modules; console:\n%s", m[0], want, con)
	}
	if !strings.Contains(con, "ingot: network up on eth0 (52:54:00:12:34:41)") {
		t.Errorf("no DHCP lease on the console:\n%s", con)
	}
	d := firstDiscovery(t, srv, con)
	if d.Inventory.Arch != "arm64" || d.Inventory.Firmware != "uefi" || !slices.Contains(d.MACs, "52:54:00:12:34:41") {
		t.Errorf("discovery arch %q firmware %q MACs %v, want arm64 uefi with 52:54:00:12:34:41", d.Inventory.Arch, d.Inventory.Firmware, d.MACs)
	}
	if len(d.Inventory.Disks) != 1 || d.Inventory.Disks[0].Serial != "ingot-vd-1" || d.Inventory.Disks[0].SizeBytes != 128<<20 {
		t.Errorf("discovered disks = %+v", d.Inventory.Disks)
	}
	srv.mu.Lock()
	t.Logf("arm64 power-on to discovery %s; %s", srv.discoveredAt.Sub(begin).Round(100*time.Millisecond), grepLine(con, "modules loaded"))
	srv.mu.Unlock()

	con = vm("arm64-install", "ingot.server="+server+" ingot.token=vm-token ingot.deployment=dep-vm")
	checkInstalled(t, srv, disk, con)
}

// initramfsFile returns the file name from the first archive of a gzip'd
// initramfs (GNU cpio stops at the first trailer).
func initramfsFile(t *testing.T, initramfs, name string) string {
	t.Helper()
	f, err := os.Open(initramfs)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("reading %s: %v", initramfs, err)
	}
	cmd := exec.Command("cpio", "-i", "--quiet", "--to-stdout", name)
	cmd.Stdin = zr
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		t.Fatalf("cpio -i %s from %s: %v", name, initramfs, err)
	}
	return string(out)
}
