package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
)

// TestSiteKit is the air-gap round trip: a site kit is built for a host,
// a UEFI VM with no network at all boots it from a USB stick, matches
// itself by its DMI serial, installs, writes its signed report to the
// stick and powers off; the stick's reports are imported into the server
// and the deployment ends succeeded; the VM, stick removed, boots the OS.
func TestSiteKit(t *testing.T) {
	testenv.SkipShort(t, "end to end: builds a Debian image and boots a VM")
	lab.Require(t, "debootstrap", "mkfs.ext4", "mcopy", "grub-mkimage", "grub-mkrescue", "xorriso")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l := startLab(t, ctx)
	const host, serial = "kit-uefi", "KIT-UEFI-1"
	if _, err := l.Client.Hosts().Create(ctx, api.Host{Name: host, Hostgroup: "lab", Serial: serial,
		MACs: []api.MAC{mustMAC("52:54:00:e2:e0:21")}, Values: api.HostValues{Hostname: host, SSHKeys: []string{sshKey}}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stick := filepath.Join(dir, "kit.img")
	start := time.Now()
	out := l.ingot(t, ctx, "media", "build", "--site-kit", "--hosts", host, "--installer", filepath.Join(l.repo(t), "build", "installer"),
		"--report-area", "8388608", "-O", stick)
	t.Logf("kit built in %v: %s", time.Since(start).Round(time.Second), strings.TrimSpace(out))
	dep := regexp.MustCompile(`dep_[0-9a-z]+`).FindString(out)

	disk := filepath.Join(dir, "disk.raw")
	if err := os.WriteFile(disk, nil, 0o644); err != nil || os.Truncate(disk, 3<<30) != nil {
		t.Fatal("creating the disk", err)
	}
	cfg := lab.VMConfig{Name: "kit", Dir: dir, Firmware: lab.UEFI, MemoryMiB: 1024,
		Disks: []lab.Disk{{Path: stick, Bus: "usb", BootIndex: 1}, {Path: disk, Serial: "KITDISK", BootIndex: 2}},
		Extra: []string{"-nic", "none", "-smbios", "type=1,serial=" + serial}}
	start = time.Now()
	vm := startKitVM(t, ctx, cfg)
	if _, _, err := vm.Console.Wait(ctx, regexp.MustCompile(`matched by serial `+serial), 0); err != nil {
		t.Fatal(err)
	}
	matched := time.Since(start)
	if _, _, err := vm.Console.Wait(ctx, regexp.MustCompile(`report of `+host+` \(succeeded.*written to slot 0`), 0); err != nil {
		t.Fatal(err)
	}
	installed := time.Since(start)
	if err := vm.Wait(ctx); err != nil {
		t.Fatalf("the installer did not power off: %v", err)
	}

	out = l.ingot(t, ctx, "media", "import-reports", stick)
	if !strings.Contains(out, host) || !strings.Contains(out, "succeeded") {
		t.Fatalf("import-reports:\n%s", out)
	}
	again := l.ingot(t, ctx, "media", "import-reports", stick)
	if !strings.Contains(again, "already imported") {
		t.Errorf("a second import is not idempotent:\n%s", again)
	}
	d := waitState(t, ctx, l, api.DeploymentID(dep))
	if d.State != api.DeploymentSucceeded {
		t.Fatalf("deployment %s: %s (%+v)", dep, d.State, d.Error)
	}
	h, _ := l.Client.Hosts().Get(ctx, host)
	if h.State != api.HostDeployed {
		t.Errorf("host %s is %s, want deployed", host, h.State)
	}

	cfg.Disks = cfg.Disks[1:] // the stick is taken out
	start = time.Now()
	vm = startKitVM(t, ctx, cfg)
	if _, _, err := vm.Console.Wait(ctx, regexp.MustCompile(`Reached target .*Multi-User System|login:`), 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("site kit, UEFI, no network: host matched %v after power-on, installed and report written %v; OS up %v after the second power-on; deployment %s succeeded",
		matched.Round(time.Second), installed.Round(time.Second), time.Since(start).Round(time.Second), dep)
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

func mustMAC(s string) api.MAC {
	m, err := api.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}
