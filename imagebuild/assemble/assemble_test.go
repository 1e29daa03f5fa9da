package assemble

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/image/grubpc"
	"ingot.dev/ingot/internal/testenv"
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Skip(t, "%s is missing", tool)
		}
	}
}

// fakeTree is a tiny root tree with a Debian-style kernel and initrd.
func fakeTree(t *testing.T) string {
	tree := filepath.Join(t.TempDir(), "tree")
	for name, body := range map[string]string{
		"boot/vmlinuz-6.1.0-9-amd64": "old", "boot/initrd.img-6.1.0-9-amd64": "old",
		"boot/vmlinuz-6.1.0-10-amd64": "kernel", "boot/initrd.img-6.1.0-10-amd64": "initrd",
		"etc/os-release": "ID=debian\n", "var/log/syslog": "log\n", "var/lib/x": "x", "home/u/.profile": "p",
	} {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func build(t *testing.T, split []Mount) (*Result, Config) {
	cfg := Config{Tree: fakeTree(t), OutDir: t.TempDir(), Name: "t", Firmware: Both, Cmdline: "console=ttyS0",
		Split: split, Seed: [32]byte{42}, Epoch: time.Unix(1700000000, 0), ESPSize: 64 << 20}
	res, err := Assemble(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res, cfg
}

func TestAssembleCIS(t *testing.T) {
	need(t, "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "grub-mkimage", "sfdisk", "e2fsck", "fsck.vfat", "blkid")
	split := []Mount{{Path: "/var"}, {Path: "/var/log"}, {Path: "/home"}, {Path: "/tmp"}}
	res, cfg := build(t, split)
	if res.Kernel.Version != "6.1.0-10-amd64" {
		t.Errorf("kernel %s, want the newest, 6.1.0-10-amd64", res.Kernel.Version)
	}
	var roles []string
	for _, p := range res.Payloads {
		roles = append(roles, p.Role)
	}
	if got := strings.Join(roles, " "); got != "disk esp root home tmp var var-log" {
		t.Errorf("payload roles %q", got)
	}
	disk := res.Payloads[0].Path
	if out := run(t, "sfdisk", "--verify", disk); !strings.Contains(out, "No errors detected") {
		t.Errorf("sfdisk --verify: %s", out)
	}
	dump := run(t, "sfdisk", "--dump", disk)
	for _, want := range []string{"start=        2048", "type=21686148-6449-6E6F-744E-656564454649", "start=        8192, size=      131072, type=C12A7328", `name="var-log"`} {
		if !strings.Contains(dump, want) {
			t.Errorf("partition table lacks %q:\n%s", want, dump)
		}
	}
	fstab, _ := os.ReadFile(filepath.Join(cfg.Tree, "etc/fstab"))
	for _, p := range res.Payloads[1:] {
		if p.FSType == "ext4" {
			run(t, "e2fsck", "-fn", p.Path)
		} else {
			run(t, "fsck.vfat", "-n", p.Path)
		}
		uuid := strings.TrimSpace(run(t, "blkid", "-s", "UUID", "-o", "value", p.Path))
		if !strings.Contains(string(fstab), "UUID="+uuid) {
			t.Errorf("%s UUID %s is not in fstab:\n%s", p.Role, uuid, fstab)
		}
	}
	if !strings.Contains(string(fstab), "/var/log\text4\tdefaults,nodev,nosuid,noexec") {
		t.Errorf("fstab lacks the CIS options of /var/log:\n%s", fstab)
	}
	varLog := res.Payloads[len(res.Payloads)-1].Path
	if out := run(t, "debugfs", "-R", "cat /syslog", varLog); !strings.Contains(out, "log") {
		t.Errorf("/var/log/syslog is not on the var-log filesystem: %q", out)
	}
	if out := run(t, "debugfs", "-R", "ls /log", res.Payloads[len(res.Payloads)-2].Path); strings.Contains(out, "syslog") {
		t.Errorf("/var/log's files are on the var filesystem too")
	}
	// The ESP holds the kernel GRUB boots and a config naming the root.
	cfgText := run(t, "mtype", "-i", res.Payloads[1].Path, "::/grub/grub.cfg")
	if !strings.Contains(cfgText, res.Cmdline) || !strings.Contains(res.Cmdline, "root=UUID=") {
		t.Errorf("grub.cfg %q lacks %q", cfgText, res.Cmdline)
	}
	if k := run(t, "mtype", "-i", res.Payloads[1].Path, "::/vmlinuz"); k != "kernel" {
		t.Errorf("ESP /vmlinuz = %q", k)
	}
	// Each filesystem's bytes sit in the disk at a 4 MiB boundary, so its
	// chunks are shared with the disk payload.
	whole, _ := os.ReadFile(disk)
	for _, p := range res.Payloads[1:] {
		b, _ := os.ReadFile(p.Path)
		i := bytes.Index(whole, b[:1<<20])
		if i < 0 || i%align != 0 {
			t.Errorf("%s found at %d in the disk, want a multiple of 4 MiB", p.Role, i)
		}
	}
	// GRUB's BIOS stages: boot.img in the MBR points at core.img.
	if whole[510] != 0x55 || whole[511] != 0xAA || !bytes.Equal(whole[biosBootFirst*sector:biosBootFirst*sector+4], mustRead(t, filepath.Join(cfg.OutDir, "grub-i386-pc.img"))[:4]) {
		t.Error("core.img is not at the start of the BIOS boot partition")
	}
	// The installer lifts the boot code from the disk payload's first 4 MiB
	// to put it on a layout's disks.
	code, err := grubpc.Read(bytes.NewReader(whole[:align]))
	if err != nil {
		t.Fatal(err)
	}
	core := mustRead(t, filepath.Join(cfg.OutDir, "grub-i386-pc.img"))
	if !bytes.Equal(code.Core[grubpc.Sector:len(core)], core[grubpc.Sector:]) || !bytes.Equal(code.Boot[:440], whole[:440]) {
		t.Error("grubpc.Read of the disk's first 4 MiB does not return the boot code installed there")
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAssembleReproducible(t *testing.T) {
	need(t, "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "grub-mkimage")
	a, _ := build(t, []Mount{{Path: "/var"}})
	time.Sleep(1100 * time.Millisecond) // let the host clock move
	b, _ := build(t, []Mount{{Path: "/var"}})
	for i := range a.Payloads {
		if !bytes.Equal(mustRead(t, a.Payloads[i].Path), mustRead(t, b.Payloads[i].Path)) {
			t.Errorf("payload %s differs between two builds of the same tree", a.Payloads[i].Role)
		}
	}
}

func TestDeriveUUID(t *testing.T) {
	a, b := DeriveUUID([32]byte{1}, "root"), DeriveUUID([32]byte{1}, "var")
	if a == b || a != DeriveUUID([32]byte{1}, "root") || a == DeriveUUID([32]byte{2}, "root") {
		t.Error("UUIDs are not a function of seed and label")
	}
	if s := a.String(); len(s) != 36 || s[14] != '4' {
		t.Errorf("UUID %s is not a version 4 UUID", s)
	}
	g, _ := ParseGUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
	if g[0] != 0x28 || g[3] != 0xC1 || g[8] != 0xBA {
		t.Errorf("GUID byte order %x", g)
	}
}
