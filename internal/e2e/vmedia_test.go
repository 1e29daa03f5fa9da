package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/installer/firstboot"
	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/vbmc"
)

const vbmcPassword = "vbmc-Pa55word"

// TestDeployVirtualMedia deploys a VM that cannot network-boot (its NIC has
// no boot ROM and no boot index) through its virtual BMC: the server builds
// the host's ISO with its static address, vbmc fetches it from the one-time
// URL and inserts it, boots the CD once, and the installer runs without
// DHCP; the installed system phones home and the media is ejected.
func TestDeployVirtualMedia(t *testing.T) {
	testenv.SkipShort(t, "end to end: builds a Debian image and boots a VM")
	lab.Require(t, "debootstrap", "mkfs.ext4", "mcopy", "grub-mkimage", "grub-mkrescue", "xorriso")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	l := startLab(t, ctx)
	c := l.Client
	m := &machine{name: "e2e-vmedia", fw: lab.BIOS, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x21}, mark: map[string]time.Duration{}}
	b := l.Net.Subnet.Addr().As4()
	addr := netip.PrefixFrom(netip.AddrFrom4([4]byte{b[0], b[1], b[2], 77}), 24)

	vm, bmc, endpoint := startVMedia(t, ctx, l, m)
	m.vm = vm
	register(t, c, m, addr, endpoint)
	res, err := c.Deploy(ctx, api.DeployRequest{Hosts: []string{m.name}, Timeout: "20m"})
	if err != nil {
		t.Fatal(err)
	}
	m.dep, m.on = res.Deployments[0].ID, time.Now()
	iso, token := fetchHostISO(t, ctx, c, m.name)

	follow(t, ctx, c, m)
	if t.Failed() {
		return
	}
	checkDeployed(t, c, l.Net, m)
	checkStatic(t, c, m, addr)
	if img := bmc.Image(); img != "" {
		t.Errorf("virtual media still holds %q after the deployment", img)
	}
	if _, err := c.HostMedia(ctx, m.name); client.StatusOf(err) != http.StatusConflict {
		t.Errorf("media after the deployment: %v; want 409", err)
	}
	if _, err := c.Download(ctx, iso.Path, nilWriter{}); client.StatusOf(err) != http.StatusNotFound && client.StatusOf(err) != http.StatusGone {
		t.Errorf("one-time URL after the deployment: %v; want 404 or 410", err)
	}
	logged, _ := os.ReadFile(l.Log.Name())
	if secret := strings.Split(iso.Path, "/")[2]; strings.Contains(string(logged), token) || strings.Contains(string(logged), secret) {
		t.Error("the server log holds the installer token or a one-time URL's secret")
	}
	t.Logf("%s (virtual media, static address %s): installer kernel %v, image written %v, OS up %v, first boot reported %v after deploy",
		m.name, addr, m.get("installer"), m.get("written"), m.get("os"), m.get("phoned"))
}

// startVMedia starts a powered-off BIOS VM with an empty CD drive, a blank
// disk and a NIC that cannot boot, and its virtual BMC on loopback.
func startVMedia(t *testing.T, ctx context.Context, l *Lab, m *machine) (*lab.VM, *emulator.Server, string) {
	dir := filepath.Join(l.Work, m.name)
	disk := blankDisk(t, dir, "disk.raw", 3<<30)
	vm := keepVM(t)(l.Net.StartVM(ctx, lab.VMConfig{Name: m.name, Dir: dir, Firmware: m.fw, MemoryMiB: 1024, Paused: true, EmptyCD: true,
		Disks: []lab.Disk{{Path: disk, Serial: strings.ToUpper(m.name), ID: "disk0"}},
		NICs:  []lab.NIC{{MAC: m.mac, ROM: "none"}}}))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(vm.QMPPath); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("qemu's QMP socket did not appear")
		}
	}
	bmc, err := vbmc.New(vbmc.Config{QMPSocket: vm.QMPPath, Password: vbmcPassword, MediaDir: dir,
		Devices: map[string]string{"Cd": "cdrom0", "Hdd": "disk0"}, DefaultOrder: []string{"Hdd", "Cd"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = vbmc.Serve(bctx, ln, bmc) }()
	t.Cleanup(func() { stop(); <-done })
	return vm, bmc, "http://" + ln.Addr().String()
}

// register creates the hostgroup that boots virtual media, the BMC
// credential and the host with its static address.
func register(t *testing.T, c *client.Client, m *machine, addr netip.Prefix, endpoint string) {
	ctx := context.Background()
	if _, err := c.Hostgroups().Create(ctx, api.Hostgroup{Name: "vmedia", ImageSet: "debian", BootPath: api.BootRedfishVMedia,
		Template: api.Template{Hostname: api.StringRule{Allowed: true}, SSHKeys: api.ListRule{Allowed: true, Max: 4},
			Addresses: api.AddressRule{Allowed: true, Max: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Credentials().Put(ctx, "vbmc", api.Credential{Name: "vbmc", Username: "admin", Password: vbmcPassword}); err != nil {
		t.Fatal(err)
	}
	h := api.Host{Name: m.name, Hostgroup: "vmedia", MACs: []api.MAC{{HardwareAddr: m.mac}}, BMC: &api.BMC{Endpoint: endpoint, Credential: "vbmc"},
		Values: api.HostValues{Hostname: m.name, SSHKeys: []string{sshKey}, Addresses: []api.StaticAddress{{Address: addr}}}}
	if _, err := c.Hosts().Create(ctx, h); err != nil {
		t.Fatal(err)
	}
}

// fetchHostISO downloads the host's ISO as `ingot media build --host` does
// and returns the URL and the installer token on the ISO's command line.
func fetchHostISO(t *testing.T, ctx context.Context, c *client.Client, host string) (api.MediaTicket, string) {
	start := time.Now()
	tk, err := c.HostMedia(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "host.iso"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := c.Download(ctx, tk.Path, f)
	if err != nil || n < 10<<20 {
		t.Fatalf("downloading the host's ISO: %d bytes, %v", n, err)
	}
	t.Logf("host ISO: %.1f MiB, minted and fetched in %v", float64(n)/(1<<20), time.Since(start).Round(time.Millisecond))
	cfg := filepath.Join(t.TempDir(), "grub.cfg")
	if out, err := exec.Command("xorriso", "-osirrox", "on", "-indev", f.Name(), "-extract", "/boot/grub/grub.cfg", cfg).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(cfg)
	tok := regexp.MustCompile(`'ingot\.token=([^']+)'`).FindSubmatch(b)
	if tok == nil || !strings.Contains(string(b), "'ingot.ip=") {
		t.Fatalf("the host's ISO lacks the token or the static address:\n%s", b)
	}
	return tk, string(tok[1])
}

// checkStatic: the installer used the static address without DHCP, and
// the installed system reports it.
func checkStatic(t *testing.T, c *client.Client, m *machine, addr netip.Prefix) {
	if !regexp.MustCompile(`network up on \S+ \(` + m.mac.String() + `\) .*static ` + regexp.QuoteMeta(addr.String()) + `.*no DHCP`).MatchString(m.vm.Console.Text()) {
		t.Errorf("the installer console does not show the static address %s without DHCP", addr)
	}
	sigs, err := c.Signals(context.Background(), m.dep)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sigs, func(s api.Signal) bool { return s.Name == "firstboot" })
	var r firstboot.Report
	if i < 0 || json.Unmarshal(sigs[i].Data, &r) != nil || !slices.Contains(r.Addresses, addr.String()) {
		t.Errorf("first boot reported addresses %v; want %s", r.Addresses, addr)
	}
}

type nilWriter struct{}

func (nilWriter) Write(p []byte) (int, error) { return len(p), nil }
