package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/internal/testenv"
)

// TestVM boots the real installer kernel and initramfs (make installer) in
// qemu under TCG with a virtio disk and NIC on QEMU user networking, where
// the host's loopback is 10.0.2.2: first in discovery mode, then installing
// an image, and checks what the VM posted and what it wrote.
func TestVM(t *testing.T) {
	testenv.SkipShort(t, "the installer VM test")
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		testenv.Skip(t, "qemu-system-x86_64 is not installed (Debian package qemu-system-x86): cannot boot the installer")
	}
	start := time.Now()
	out := buildInstaller(t, "amd64", "build/installer")

	srv := installServer(t, "amd64", "bios")
	server := serveUserNet(t, srv)

	disk := filepath.Join(t.TempDir(), "vda.img")
	os.WriteFile(disk, nil, 0o644)
	os.Truncate(disk, 128<<20)
	vm := func(name, params string) string {
		t.Helper()
		return runQEMU(t, name, 4*time.Minute, qemu, "-accel", "tcg", "-m", "1024", "-smp", "1", "-nographic", "-no-reboot",
			"-kernel", filepath.Join(out, "vmlinuz"), "-initrd", filepath.Join(out, "initramfs.cpio.gz"),
			"-append", "console=ttyS0 panic=-1 "+params,
			"-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:01",
			"-device", "virtio-rng-pci",
			"-drive", "file="+disk+",if=none,id=d0,format=raw", "-device", "virtio-blk-pci,drive=d0,serial=ingot-vd-1")
	}

	con := vm("discovery", "ingot.server="+server+" ingot.mode=discovery")
	d := firstDiscovery(t, srv, con)
	if !slices.Contains(d.MACs, "52:54:00:12:34:01") || d.Inventory.Firmware != "bios" {
		t.Errorf("discovery MACs %v firmware %q", d.MACs, d.Inventory.Firmware)
	}
	if len(d.Inventory.Disks) != 1 || d.Inventory.Disks[0].Serial != "ingot-vd-1" || d.Inventory.Disks[0].SizeBytes != 128<<20 || d.Inventory.Disks[0].Transport != "virtio" {
		t.Errorf("discovered disks = %+v", d.Inventory.Disks)
	}

	con = vm("install", "ingot.server="+server+" ingot.token=vm-token ingot.deployment=dep-vm")
	checkInstalled(t, srv, disk, con)
	t.Logf("VM test total %s", time.Since(start).Round(100*time.Millisecond))
}

// installServer is a fake server whose discovery reply is poweroff and
// whose plan installs a small Debian-like image for arch and firmware on the disk
// with serial ingot-vd-*, then powers off.
func installServer(t *testing.T, arch, firmware string) *fakeServer {
	t.Helper()
	img := chunkImage(t, makeDiskImage(t), arch, firmware)
	return &fakeServer{t: t, img: img, token: "vm-token", reply: plan.DiscoveryReply{Host: "vm-1", Action: "poweroff"},
		plan: plan.Plan{
			Deployment: "dep-vm", Host: "vm-1", Reboot: "poweroff",
			Image:  plan.ImageSource{ID: img.id, PublicKey: img.pubPEM, Firmware: api.Firmware(firmware)},
			Layout: plan.Layout{Preset: "single", Disk: plan.DiskSelector{Serial: "ingot-vd-*"}},
			Config: plan.HostConfig{Hostname: "vm-1", SSHKeys: []string{"ssh-ed25519 AAAAvm test"},
				PhoneHome: "http://10.0.2.2:1/v1/deployments/dep-vm/signals", PhoneHomeToken: "ph"},
		}}
}

// firstDiscovery returns the first discovery srv received; con is the
// console shown when there is none.
func firstDiscovery(t *testing.T, srv *fakeServer, con string) plan.Discovery {
	t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.discoveries) == 0 {
		t.Fatalf("no discovery posted; console:\n%s", con)
	}
	return srv.discoveries[0]
}

// checkInstalled checks that the installer of installServer's plan
// reported success and that the 128 MiB disk holds a valid GPT and the
// image's root, configured and grown to the disk.
func checkInstalled(t *testing.T, srv *fakeServer, disk, con string) {
	t.Helper()
	if names := srv.signalNames(); !slices.Contains(names, "installer.done") {
		t.Fatalf("signals %v, want installer.done; console:\n%s", names, con)
	}
	if out := mustRun(t, "sgdisk", "-v", disk); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	root := filepath.Join(t.TempDir(), "root.img")
	mustRun(t, "dd", "if="+disk, "of="+root, "bs=1M", "skip=9", "status=none")
	mustRun(t, "e2fsck", "-fn", root)
	for p, want := range map[string]string{"/etc/hostname": "vm-1", "/root/.ssh/authorized_keys": "ssh-ed25519 AAAAvm test", "/etc/os-release": "ID=debian"} {
		if got := mustRun(t, "debugfs", "-R", "cat "+p, root); !strings.Contains(got, want) {
			t.Errorf("%s in the installed root = %q, want %q", p, got, want)
		}
	}
	// The root filesystem was grown from 54 MiB to fill the 128 MiB disk.
	var blocks, bsize int64
	for _, l := range strings.Split(mustRun(t, "dumpe2fs", "-h", root), "\n") {
		if v, ok := strings.CutPrefix(l, "Block count:"); ok {
			blocks, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		if v, ok := strings.CutPrefix(l, "Block size:"); ok {
			bsize, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if blocks*bsize < 110<<20 {
		t.Errorf("root filesystem is %d bytes, want it grown to the disk (> 110 MiB)", blocks*bsize)
	}
}

// buildInstaller runs mkinstaller for arch into dir (relative to the
// repository root, cached there) and returns dir relative to this package.
func buildInstaller(t *testing.T, arch, dir string) string {
	t.Helper()
	start := time.Now()
	build := exec.Command("go", "run", "./internal/mkinstaller", "-arch", arch, "-out", dir)
	build.Dir = filepath.Join("..", "..")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the %s installer: %v\n%s", arch, err, b)
	}
	t.Logf("%s installer built in %s", arch, time.Since(start).Round(time.Millisecond))
	return filepath.Join("..", "..", dir)
}

// serveUserNet serves h on loopback for the test's lifetime and returns its
// URL as a VM on QEMU user networking sees it (the host is 10.0.2.2).
func serveUserNet(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)
	return "http://10.0.2.2:" + itoa(ln.Addr().(*net.TCPAddr).Port)
}

// runQEMU runs a VM to its power-off (qemu with -no-reboot exits) and
// returns its console; the test fails when qemu fails or outlives timeout.
func runQEMU(t *testing.T, name string, timeout time.Duration, qemu string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, args...)
	var console bytes.Buffer
	cmd.Stdout, cmd.Stderr = &console, &console
	begin := time.Now()
	err := cmd.Run()
	os.WriteFile(filepath.Join(t.TempDir(), name+".log"), console.Bytes(), 0o644)
	if err != nil {
		t.Fatalf("%s VM: %v\nconsole:\n%s", name, err, console.String())
	}
	t.Logf("%s VM: power-on to power-off %s; %s", name, time.Since(begin).Round(100*time.Millisecond), grepLine(console.String(), "installer ")+" | "+grepLine(console.String(), "network up"))
	return console.String()
}

func grepLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
