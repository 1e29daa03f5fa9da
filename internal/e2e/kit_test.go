package e2e

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
)

// kitHost is one machine of the site-kit test.
type kitHost struct {
	name, serial string
	firmware     lab.Firmware
	mac          net.HardwareAddr
	addr         netip.Addr
}

// TestSiteKitStorage is the air-gap round trip with the storage stack, on
// a UEFI and a legacy-BIOS machine: each has two disks, a TPM and no
// network, and boots the same site kit stick; their hostgroup wants
// mirror+cis with LUKS bound to Tang and the TPM (t=2). The kit keeps only
// the TPM pin, so each installer binds LUKS to the TPM alone, seals the
// recovery passphrase to the server into its report and powers off. After
// one import both deployments are succeeded and the passphrases escrowed
// (`ingot host recovery-key`); each machine, stick removed, unlocks its
// disks through the TPM with nobody at the console and mounts the CIS
// filesystems; the escrowed passphrase opens the volume. The UEFI one runs
// both halves of its mirrors; the BIOS one boots with its first disk pulled,
// through the GRUB boot code the installer put on the second, and runs its
// mirrors degraded. For that last check only, the second boot has a NIC (static
// address, no Tang anywhere) so the test can log in over SSH.
func TestSiteKitStorage(t *testing.T) {
	testenv.SkipShort(t, "end to end: builds a Debian image and boots VMs")
	lab.Require(t, "debootstrap", "mkfs.ext4", "mcopy", "grub-mkimage", "grub-mkrescue", "xorriso", "swtpm")
	lab.RequireSpace(t, os.TempDir(), 9<<30) // two VMs with two-disk mirrors, and the kit (about 1.4 GiB a disk)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	l := startLab(t, ctx, StorageRecipe)
	// A Tang server the site cannot reach: the kit must drop its pin.
	enc := "threshold: 2\ntang: [{url: \"http://tang.invalid:7500\", thumbprints: [x8R9Jd0Y0gRJ4vYXcYQd3l2w8w6bnTbVbWq2mA4bEdc]}]\ntpm2: {pcr_ids: [7]}\n"
	if _, err := l.Client.Hostgroups().Create(ctx, api.Hostgroup{Name: "site-secure", ImageSet: "debian", Layout: "mirror+cis", Encryption: enc,
		Template: api.Template{Hostname: api.StringRule{Allowed: true}, SSHKeys: api.ListRule{Allowed: true, Max: 1}, Addresses: api.AddressRule{Allowed: true, Max: 1}, Files: slowDevicesRule}}); err != nil {
		t.Fatal(err)
	}
	key, pub := newSSHKey(t)
	b := l.Net.Subnet.Addr().As4()
	hosts := []kitHost{
		{name: "kit-secure", serial: "KIT-SECURE-1", firmware: lab.UEFI, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x31}},
		{name: "kit-legacy", serial: "KIT-LEGACY-1", firmware: lab.BIOS, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x32}},
	}
	for i := range hosts {
		h := &hosts[i]
		h.addr = netip.AddrFrom4([4]byte{b[0], b[1], b[2], byte(200 + i)})
		vals := api.HostValues{Hostname: h.name, SSHKeys: []string{pub}, Files: []api.File{slowDevices},
			Addresses: []api.StaticAddress{{Interface: h.mac.String(), Address: netip.PrefixFrom(h.addr, l.Net.Subnet.Bits())}}}
		if _, err := l.Client.Hosts().Create(ctx, api.Host{Name: h.name, Hostgroup: "site-secure", Serial: h.serial, MACs: []api.MAC{{HardwareAddr: h.mac}}, Values: vals}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	stick, deps := buildKit(t, ctx, l, dir, "--hostgroup", "site-secure")
	var took []string
	cfgs := make([]lab.VMConfig, len(hosts))
	for i, h := range hosts {
		vmDir := filepath.Join(dir, h.name) // its own TPM and console log
		cfgs[i] = lab.VMConfig{Name: h.name, Dir: vmDir, Firmware: h.firmware, MemoryMiB: 1024, TPM: true,
			Disks: []lab.Disk{{Path: stick, Bus: "usb", BootIndex: 1},
				{Path: blankDisk(t, vmDir, "disk0.raw", storageDiskSize), Serial: h.serial + "-0", BootIndex: 2},
				{Path: blankDisk(t, vmDir, "disk1.raw", storageDiskSize), Serial: h.serial + "-1", BootIndex: 3}},
			Extra: []string{"-nic", "none", "-smbios", "type=1,serial=" + h.serial}}
		matched, installed := installFromKit(t, ctx, cfgs[i], h.name, h.serial)
		took = append(took, fmt.Sprintf("%s (%s): matched %v after power-on, installed and report written %v", h.name, h.firmware, matched, installed))
	}
	importKit(t, ctx, l, stick, deps)
	for _, h := range hosts {
		dep := api.DeploymentID(deps[h.name])
		checkInstallerReport(t, l.Client, dep)
		checkKitPolicy(t, ctx, l, dep)
		if out := l.ingot(t, ctx, "host", "recovery-key", h.name); !strings.Contains(out, "crypt") || !strings.Contains(out, cryptDevice) {
			t.Errorf("ingot host recovery-key %s:\n%s", h.name, out)
		}
	}
	if t.Failed() {
		return
	}

	for i, h := range hosts {
		cfg := cfgs[i]
		cfg.Disks = cfg.Disks[1:] // the stick is taken out
		degraded := h.firmware == lab.BIOS
		if degraded {
			cfg.Disks = cfg.Disks[1:] // and the first disk pulled: the second boots through its own MBR and core.img
		}
		cfg.NICs = []lab.NIC{{MAC: h.mac}}
		cfg.CPUs = 2 // with one, the guest stalls (udev does not run for 90 s; emergency mode) under TCG
		prev, _ := os.ReadFile(filepath.Join(cfg.Dir, "console.log"))
		from := len(prev)
		start := time.Now()
		vm := keepVM(t)(l.Net.StartVM(ctx, cfg))
		for _, re := range []*regexp.Regexp{unlocked, regexp.MustCompile(h.name + ` login:`)} {
			if _, _, err := vm.Console.Wait(ctx, re, from); err != nil {
				t.Fatalf("the installed system of %s (%s, %d disks), nobody at its console: %v", h.name, h.firmware, len(cfg.Disks), err)
			}
		}
		how := "both disks"
		if degraded {
			how = "the second disk alone, the first pulled"
		}
		took[i] += fmt.Sprintf("; OS up from %s (TPM unlock, no passphrase) %v after the second power-on", how, time.Since(start).Round(time.Second))
		checkKitHost(t, ctx, l, vmShell{key: key, addr: h.addr.String()}, h.name, degraded)
		vm.Stop() // one guest at a time: two starve each other under TCG
	}
	t.Logf("site kit, mirror+cis, LUKS on the TPM, no network; deployments %v succeeded:\n%s", deps, strings.Join(took, "\n"))
}

// buildKit builds a site kit of the given hosts into dir and returns the
// stick image and each host's offline deployment.
func buildKit(t *testing.T, ctx context.Context, l *Lab, dir string, hosts ...string) (string, map[string]string) {
	t.Helper()
	stick := filepath.Join(dir, "kit.img")
	start := time.Now()
	args := append([]string{"media", "build", "--site-kit", "--installer", filepath.Join(l.repo(t), "build", "installer"),
		"--report-area", "8388608", "-O", stick}, hosts...)
	out := l.ingot(t, ctx, args...)
	t.Logf("kit built in %v: %s", time.Since(start).Round(time.Second), strings.TrimSpace(out))
	deps := map[string]string{}
	for _, m := range regexp.MustCompile(`([a-z0-9-]+) \((dep_[0-9a-z]+)\)`).FindAllStringSubmatch(out, -1) {
		deps[m[1]] = m[2]
	}
	if len(deps) == 0 {
		t.Fatalf("no deployments in the kit build's output:\n%s", out)
	}
	return stick, deps
}

// installFromKit powers the VM on, waits for it to match itself by
// serial, install, write its report and power off; it returns when the
// host was matched and when the report was written, after power-on.
func installFromKit(t *testing.T, ctx context.Context, cfg lab.VMConfig, host, serial string) (matched, installed time.Duration) {
	t.Helper()
	start := time.Now()
	vm := startKitVM(t, ctx, cfg)
	if _, _, err := vm.Console.Wait(ctx, regexp.MustCompile(`matched by serial `+serial), 0); err != nil {
		t.Fatal(err)
	}
	matched = time.Since(start).Round(time.Second)
	if _, _, err := vm.Console.Wait(ctx, regexp.MustCompile(`report of `+host+` \(succeeded.*written to slot \d`), 0); err != nil {
		t.Fatal(err)
	}
	installed = time.Since(start).Round(time.Second)
	if err := vm.Wait(ctx); err != nil {
		t.Fatalf("the installer did not power off: %v", err)
	}
	return matched, installed
}

// importKit imports the stick's reports (twice: the second changes
// nothing) and checks that every deployment succeeded and its host is
// deployed.
func importKit(t *testing.T, ctx context.Context, l *Lab, stick string, deps map[string]string) {
	t.Helper()
	out := l.ingot(t, ctx, "media", "import-reports", stick)
	for host := range deps {
		if !regexp.MustCompile(`(?m)^` + host + `\s.*succeeded`).MatchString(out) {
			t.Fatalf("import-reports does not show %s succeeded:\n%s", host, out)
		}
	}
	again := l.ingot(t, ctx, "media", "import-reports", stick)
	if strings.Count(again, "already imported") != len(deps) {
		t.Errorf("a second import is not idempotent:\n%s", again)
	}
	for host, dep := range deps {
		d := waitState(t, ctx, l, api.DeploymentID(dep))
		if d.State != api.DeploymentSucceeded {
			t.Fatalf("deployment %s of %s: %s (%+v)", dep, host, d.State, d.Error)
		}
		h, _ := l.Client.Hosts().Get(ctx, host)
		if h.State != api.HostDeployed {
			t.Errorf("host %s is %s, want deployed", host, h.State)
		}
	}
}

// checkKitPolicy: the installer bound LUKS with the kit's policy, the TPM
// alone (the hostgroup's Tang pin dropped).
func checkKitPolicy(t *testing.T, ctx context.Context, l *Lab, dep api.DeploymentID) {
	t.Helper()
	sigs, err := l.Client.Signals(ctx, dep)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sigs {
		if s.Name == "installer.done" && (!strings.Contains(string(s.Data), "sss t=1: tpm2 sha256:[7]") || strings.Contains(string(s.Data), "tang.invalid")) {
			t.Errorf("installer.done: the LUKS policy is not the TPM alone:\n%s", s.Data)
		}
	}
}

// checkKitHost logs in to the installed system: both mirrors whole (or
// both degraded, with a disk pulled), every
// CIS mount point on its volume with its options, the LUKS volume bound to
// the TPM only, and the escrowed passphrase opens it.
func checkKitHost(t *testing.T, ctx context.Context, l *Lab, sh vmShell, host string, degraded bool) {
	t.Helper()
	out, err := sh.wait(ctx, "", "cat /proc/mdstat")
	if err != nil {
		t.Fatalf("ssh %s: %v: %s", sh.addr, err, out)
	}
	want, n := "whole [UU]", strings.Count(out, "[UU]")
	if degraded {
		want, n = "degraded", degradedMirrors(out)
	}
	if n != 2 {
		t.Errorf("/proc/mdstat shows %d arrays %s, want 2:\n%s", n, want, out)
	}
	for _, m := range layout.CISMounts() {
		out, err := sh.run(ctx, "", "findmnt -n -o SOURCE,OPTIONS "+m.Mount)
		f := strings.Fields(out)
		if err != nil || len(f) != 2 || f[0] != "/dev/mapper/vg0-"+m.Volume {
			t.Errorf("%s: findmnt: %v: %q, want it on /dev/mapper/vg0-%s", m.Mount, err, out, m.Volume)
			continue
		}
		for _, o := range m.Options {
			if !strings.Contains(","+f[1]+",", ","+o+",") {
				t.Errorf("%s is mounted with %s, missing %s", m.Mount, f[1], o)
			}
		}
	}
	if out, err := sh.run(ctx, "", "clevis luks list -d "+cryptDevice); err != nil || !strings.Contains(out, "tpm2") || strings.Contains(out, "tang") {
		t.Errorf("clevis luks list: %v: %s; want the TPM pin alone", err, out)
	}
	keys, err := l.Client.RecoveryKeys(ctx, host)
	if err != nil || len(keys) != 1 {
		t.Fatalf("escrowed keys of %s: %+v, %v", host, keys, err)
	}
	test := "cryptsetup open --test-passphrase --key-slot 0 --key-file - " + cryptDevice
	if out, err := sh.run(ctx, keys[0].Passphrase, test); err != nil {
		t.Errorf("the escrowed passphrase does not open keyslot 0: %v: %s", err, out)
	}
}

// blankDisk creates a sparse disk image of size bytes in dir.
func blankDisk(t *testing.T, dir, name string, size int64) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil || os.Truncate(p, size) != nil {
		t.Fatal(fmt.Sprintf("creating the disk %s", p), err)
	}
	return p
}

func startKitVM(t *testing.T, ctx context.Context, cfg lab.VMConfig) *lab.VM {
	return keepVM(t)(lab.StartVM(ctx, cfg))
}

func waitState(t *testing.T, ctx context.Context, l *Lab, id api.DeploymentID) api.Deployment {
	for {
		d, err := l.Client.Deployments().Get(ctx, string(id))
		if err != nil {
			t.Fatal(err)
		}
		if d.State.Terminal() || ctx.Err() != nil {
			return d
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// ingot runs the ingot binary against the lab's server as admin.
func (l *Lab) ingot(t *testing.T, ctx context.Context, args ...string) string {
	tok, err := os.ReadFile(filepath.Join(l.Work, "data", "admin.token.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, l.args[0], append([]string{"--server", l.URL}, args...)...)
	cmd.Env = append(os.Environ(), "INGOT_TOKEN="+strings.TrimSpace(string(tok)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ingot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (l *Lab) repo(t *testing.T) string {
	r, err := Repo()
	if err != nil {
		t.Fatal(err)
	}
	return r
}
