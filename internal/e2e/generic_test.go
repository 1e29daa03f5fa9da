package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
)

// TestDeployGenericISO deploys a BIOS and a UEFI VM that boot the generic
// ISO as a CD (their NICs cannot network-boot): discovery hands each its
// deployment and installer token and it installs in the same boot. The
// UEFI VM then boots its disk through BootNext; the BIOS VM boots the CD
// again, is told "local" and kexecs the installed system.
func TestDeployGenericISO(t *testing.T) {
	testenv.SkipShort(t, "end to end: builds a Debian image and boots VMs")
	lab.Require(t, "debootstrap", "mkfs.ext4", "mcopy", "grub-mkimage", "grub-mkrescue", "xorriso")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	l := startLab(t, ctx)
	iso := buildGenericISO(t, ctx, l)
	ms := []*machine{
		{name: "e2e-cd-bios", fw: lab.BIOS, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x31}},
		{name: "e2e-cd-uefi", fw: lab.UEFI, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x32}},
	}
	deploy(t, l.Client, ms)
	for _, m := range ms {
		m.mark = map[string]time.Duration{}
		m.vm, m.on = startCDVM(t, ctx, l, m, iso), time.Now()
	}
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Go(func() {
			if _, _, err := m.vm.Console.Wait(ctx, regexp.MustCompile(`installing deployment `+string(m.dep)+` in this boot`), 0); err == nil {
				m.set("install", time.Since(m.on))
			}
		})
		wg.Go(func() { follow(t, ctx, l.Client, m) })
	}
	wg.Wait()
	logged, _ := os.ReadFile(l.Log.Name())
	for _, m := range ms {
		checkDeployed(t, l.Client, l.Net, m)
		con := m.vm.Console.Text()
		if strings.Contains(con, "ingot_inst_") || strings.Contains(string(logged), "ingot_inst_") {
			t.Errorf("%s: an installer token was printed on the console or in the server log", m.name)
		}
		starts, kexec := strings.Count(con, "ingot: installer "), strings.Contains(con, "ingot: booting the installed system")
		if installs := strings.Count(con, "in this boot"); installs != 1 {
			t.Errorf("%s: installed %d times, want once", m.name, installs)
		}
		if once := starts == 1; m.fw == lab.UEFI && once == kexec {
			t.Errorf("%s: the installer started %d times, kexec %t; want once (BootNext to the disk) or twice with a kexec", m.name, starts, kexec)
		}
		if m.fw == lab.UEFI && kexec {
			// Likely: OVMF prunes boot options that match no fw_cfg bootorder
			// entry (ours has a short-form HD() path), so BootNext dangles.
			t.Logf("%s: BootNext did not take the machine to its disk; the medium booted again and kexec'd it", m.name)
		}
		if m.fw == lab.BIOS && (starts != 2 || !kexec) {
			t.Errorf("%s: the installer started %d times, kexec %t; want twice, the second kexecs the disk", m.name, starts, kexec)
		}
		t.Logf("%s (%s, generic CD): installing after %v, image written %v, first boot reported %v after power-on",
			m.name, m.fw, m.get("install"), m.get("written"), m.get("phoned"))
	}
}

// buildGenericISO runs `ingot media build --generic` for the lab server.
func buildGenericISO(t *testing.T, ctx context.Context, l *Lab) string {
	repo, err := Repo()
	if err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(l.Work, "generic.iso")
	start := time.Now()
	cmd := exec.CommandContext(ctx, l.args[0], "--server", l.URL, "media", "build", "--generic",
		"--installer", filepath.Join(repo, "build", "installer"), "-O", iso)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ingot media build --generic: %v\n%s", err, out)
	}
	t.Logf("generic ISO built in %v", time.Since(start).Round(time.Millisecond))
	return iso
}

// startCDVM starts a VM with an empty disk and the ISO as its boot CD; its
// NIC has no boot ROM and no boot index.
func startCDVM(t *testing.T, ctx context.Context, l *Lab, m *machine, iso string) *lab.VM {
	dir := filepath.Join(l.Work, m.name)
	disk := blankDisk(t, dir, "disk.raw", 3<<30)
	return keepVM(t)(l.Net.StartVM(ctx, lab.VMConfig{Name: m.name, Dir: dir, Firmware: m.fw, MemoryMiB: 1024, CDROM: iso,
		Disks: []lab.Disk{{Path: disk, Serial: strings.ToUpper(m.name), BootIndex: 2}},
		NICs:  []lab.NIC{{MAC: m.mac, ROM: "none"}}}))
}
