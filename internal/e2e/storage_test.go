package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/installer/clevis/clevistest"
	"ingot.dev/ingot/installer/firstboot"
	"ingot.dev/ingot/installer/install"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
)

// storageDiskSize fits the mirror+cis preset: 1.5 GiB of boot partitions,
// 10 GiB of fixed logical volumes and some /home.
const storageDiskSize = 13 << 30

// slowDevices is a host file that gives the installed system's devices 5
// minutes to appear instead of systemd's 90 s: under TCG on a loaded
// machine the guest stalls for tens of seconds at a time, and a boot whose
// md arrays, LUKS and logical volumes are all up would still stop in
// emergency mode. (systemd 252, Debian 12's, has DefaultDeviceTimeoutSec=
// in system.conf but no kernel command line option for it.) slowDevicesRule
// lets a hostgroup's hosts carry it.
var (
	slowDevices     = api.File{Path: "/etc/systemd/system.conf.d/60-device-timeout.conf", Content: "[Manager]\nDefaultDeviceTimeoutSec=300\n"}
	slowDevicesRule = api.FileRule{Allowed: true, Max: 1, Paths: []string{"/etc/systemd/system.conf.d/*.conf"}}
)

// TestDeployStorage deploys a UEFI VM with two disks and a TPM with the
// mirror+cis layout, LUKS2 bound with sss t=2 to a Tang server on the lab
// network and the TPM: the installed Debian must boot without a passphrase
// (clevis unlocks it in the initramfs), mount every CIS mount point with its
// options and run both halves of its mirrors.
func TestDeployStorage(t *testing.T) {
	testenv.SkipShort(t, "end to end: builds a Debian image and boots VMs")
	lab.Require(t, "debootstrap", "mkfs.ext4", "mcopy", "grub-mkimage", "swtpm", "socat", "jose", "/usr/libexec/tangd")
	lab.RequireSpace(t, os.TempDir(), 6<<30) // one VM with a two-disk mirror (about 1.4 GiB a disk)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	l := startLab(t, ctx, StorageRecipe)
	tang := clevistest.StartTangOn(t, l.Net.Host.String())
	c := l.Client
	enc := fmt.Sprintf("threshold: 2\ntang: [{url: %q, thumbprints: [%q]}]\ntpm2: {pcr_ids: [7]}\n", tang.URL, tang.Thumbprint)
	_, err := c.Hostgroups().Create(ctx, api.Hostgroup{Name: "secure", ImageSet: "debian", Layout: "mirror+cis", Encryption: enc,
		Template: api.Template{Hostname: api.StringRule{Allowed: true}, SSHKeys: api.ListRule{Allowed: true, Max: 1}, Files: slowDevicesRule}})
	if err != nil {
		t.Fatal(err)
	}
	m := &machine{name: "e2e-storage", fw: lab.UEFI, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x21}, mark: map[string]time.Duration{}}
	key, pub := newSSHKey(t)
	h := api.Host{Name: m.name, Hostgroup: "secure", MACs: []api.MAC{{HardwareAddr: m.mac}}, Values: api.HostValues{Hostname: m.name, SSHKeys: []string{pub}, Files: []api.File{slowDevices}}}
	if _, err := c.Hosts().Create(ctx, h); err != nil {
		t.Fatal(err)
	}
	res, err := c.Deploy(ctx, api.DeployRequest{Hosts: []string{m.name}, Timeout: "30m"})
	if err != nil {
		t.Fatal(err)
	}
	m.dep = res.Deployments[0].ID
	m.vm, m.on = startStorageVM(t, ctx, l, m), time.Now()
	t.Cleanup(func() { m.vm.Stop() }) // the degraded-mirror phase starts m.vm anew
	go markStorage(ctx, m)
	follow(t, ctx, c, m)
	if t.Failed() {
		return
	}
	r := firstbootReport(t, c, m.dep)
	checkStorage(t, r)
	checkInstallerReport(t, c, m.dep)
	t.Logf("%s: installer kernel %v, storage built %v, installed %v, first boot reported %v after power-on",
		m.name, m.get("installer"), m.get("storage"), m.get("written"), m.get("phoned"))
	if !t.Failed() {
		storagePhases(t, ctx, l, m, tang, shellFor(t, key, l.Net, r))
	}
}

// startStorageVM starts a UEFI VM with two blank disks (booted first, so
// the installed system boots from either) and a TPM; the NIC is the
// fallback that reaches the installer while the disks are blank.
func startStorageVM(t *testing.T, ctx context.Context, l *Lab, m *machine) *lab.VM {
	dir := filepath.Join(l.Work, m.name)
	var disks []lab.Disk
	for i, idx := range []int{1, 3} {
		p := blankDisk(t, dir, fmt.Sprintf("disk%d.raw", i), storageDiskSize)
		disks = append(disks, lab.Disk{Path: p, Serial: fmt.Sprintf("STORAGE-%d", i), BootIndex: idx})
	}
	return keepVM(t)(l.Net.StartVM(ctx, lab.VMConfig{Name: m.name, Dir: dir, Firmware: lab.UEFI, MemoryMiB: 1024, TPM: true,
		Disks: disks, NICs: []lab.NIC{{MAC: m.mac, BootIndex: 2}}}))
}

// markStorage marks when the installer finished building the stack.
func markStorage(ctx context.Context, m *machine) {
	if _, _, err := m.vm.Console.Wait(ctx, regexp.MustCompile(`ingot: host config of \S+ written`), 0); err == nil {
		m.set("storage", time.Since(m.on))
	}
}

func firstbootReport(t *testing.T, c *client.Client, dep api.DeploymentID) firstboot.Report {
	t.Helper()
	sigs, err := c.Signals(context.Background(), dep)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sigs, func(s api.Signal) bool { return s.Name == "firstboot" })
	if i < 0 {
		t.Fatalf("deployment %s: no firstboot signal", dep)
	}
	var r firstboot.Report
	if err := json.Unmarshal(sigs[i].Data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkStorage asserts from the phone-home: every CIS mount point on its
// logical volume with the options CIS wants, /boot on md, both mirrors whole.
func checkStorage(t *testing.T, r firstboot.Report) {
	t.Helper()
	mounted := map[string]firstboot.Mount{}
	for _, mt := range r.Mounts {
		mounted[mt.Target] = mt
	}
	for _, want := range layout.CISMounts() {
		got, ok := mounted[want.Mount]
		if !ok {
			t.Errorf("%s is not mounted; mounts: %+v", want.Mount, r.Mounts)
			continue
		}
		if dev := "/dev/mapper/vg0-" + want.Volume; got.Source != dev {
			t.Errorf("%s is mounted from %s, want %s", want.Mount, got.Source, dev)
		}
		opts := strings.Split(got.Options, ",")
		for _, o := range want.Options {
			if !slices.Contains(opts, o) {
				t.Errorf("%s is mounted with %s, missing %s", want.Mount, got.Options, o)
			}
		}
	}
	if b, ok := mounted["/boot"]; !ok || !strings.HasPrefix(b.Source, "/dev/md") {
		t.Errorf("/boot: %+v, want it on md", b)
	}
	if _, ok := mounted["/boot/efi"]; !ok {
		t.Error("/boot/efi is not mounted")
	}
	if n := strings.Count(r.MDStat, "[UU]"); n != 2 {
		t.Errorf("/proc/mdstat shows %d arrays [UU], want 2:\n%s", n, r.MDStat)
	}
}

// checkInstallerReport: installer.done says what the installer built: the
// plan, the mounts, the arrays and the escrowed volumes.
func checkInstallerReport(t *testing.T, c *client.Client, dep api.DeploymentID) {
	t.Helper()
	sigs, err := c.Signals(context.Background(), dep)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sigs, func(s api.Signal) bool { return s.Name == "installer.done" })
	if i < 0 {
		t.Fatal("no installer.done signal")
	}
	var done struct {
		Storage install.StorageReport `json:"storage"`
	}
	if err := json.Unmarshal(sigs[i].Data, &done); err != nil {
		t.Fatal(err)
	}
	s := done.Storage
	if !slices.Equal(s.Recovery, []string{"crypt"}) || strings.Count(s.MDStat, "active raid1") != 2 ||
		!strings.Contains(s.Plan, "luks2 crypt") || len(s.Mounts) < 9 || len(s.BIOSBoot) != 2 {
		t.Errorf("installer.done storage report: %+v", s)
	}
}
