package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/installer/firstboot"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
)

const sshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIl8T1Bo1fmnuE4nPGGW9yHhpFM2dtvyODAbhQtlnvsm e2e@ingot"

type machine struct {
	name  string
	group string // default "lab"
	fw    lab.Firmware
	mac   net.HardwareAddr
	vm    *lab.VM
	dep   api.DeploymentID
	on    time.Time // power-on

	mu   sync.Mutex
	mark map[string]time.Duration // phase → time since power-on
}

func (m *machine) set(phase string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mark[phase] == 0 {
		m.mark[phase] = d.Round(time.Second)
	}
}

func (m *machine) get(phase string) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mark[phase]
}

// TestDeployVMs deploys a BIOS and a UEFI VM end to end, and lets an
// unknown third VM be discovered, all on one lab segment.
func TestDeployVMs(t *testing.T) {
	testenv.SkipShort(t, "end to end: builds a Debian image and boots VMs")
	lab.Require(t, "debootstrap", "mkfs.ext4", "mcopy", "grub-mkimage")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	l := startLab(t, ctx)
	c := l.Client
	ms := []*machine{
		// BIOS kexecs into the installed system (the faults test reboots BIOS
		// machines through the firmware); UEFI reboots.
		{name: "e2e-bios", group: "lab-kexec", fw: lab.BIOS, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x01}},
		{name: "e2e-uefi", fw: lab.UEFI, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x02}},
	}
	deploy(t, c, ms)
	for _, m := range ms {
		m.mark = map[string]time.Duration{}
		m.vm, m.on = startVM(t, ctx, l, m.name, m.fw, m.mac, 3<<30), time.Now()
	}
	unknown := startVM(t, ctx, l, "e2e-unknown", lab.BIOS, net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xe0, 0x09}, 1<<30)
	checkDiscovered(t, ctx, c, unknown)
	unknown.Stop() // frees a CPU for the deploying VMs

	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Go(func() { follow(t, ctx, c, m) })
	}
	wg.Wait()
	for _, m := range ms {
		checkDeployed(t, c, l.Net, m)
		checkBoots(t, m)
		t.Logf("%s (%s): installer kernel %v, image written %v, OS up %v, first boot reported %v after power-on",
			m.name, m.fw, m.get("installer"), m.get("written"), m.get("os"), m.get("phoned"))
	}
}

// startLab builds the artifacts and starts a lab whose catalog holds the
// image of recipe (default Recipe).
// buildMu serializes the builds of shared artifacts under build/.
var buildMu sync.Mutex

func startLab(t *testing.T, ctx context.Context, recipe ...string) *Lab {
	repo, err := Repo()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	work := t.TempDir()
	// Tests that run at once (go test -run ... -parallel) build the shared
	// artifacts (the installer, each recipe's image, the package cache) one
	// at a time.
	a, err := func() (Artifacts, error) {
		buildMu.Lock()
		defer buildMu.Unlock()
		a, err := Build(ctx, repo, work, testLog{t})
		for _, r := range recipe {
			if err == nil {
				a.ImageDir, err = a.BuildImage(ctx, work, r, testLog{t})
			}
		}
		return a, err
	}()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("artifacts ready in %v", time.Since(start).Round(time.Second))
	l, err := Start(ctx, a, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Close()
		if t.Failed() {
			b, _ := os.ReadFile(l.Log.Name())
			t.Logf("ingot serve log:\n%s", tail(string(b), 6000))
		}
	})
	return l
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func deploy(t *testing.T, c *client.Client, ms []*machine) {
	ctx := context.Background()
	var names []string
	for _, m := range ms {
		group := m.group
		if group == "" {
			group = "lab"
		}
		h := api.Host{Name: m.name, Hostgroup: group, MACs: []api.MAC{{HardwareAddr: m.mac}},
			Values: api.HostValues{Hostname: m.name, SSHKeys: []string{sshKey}}}
		if _, err := c.Hosts().Create(ctx, h); err != nil {
			t.Fatal(err)
		}
		names = append(names, m.name)
	}
	res, err := c.Deploy(ctx, api.DeployRequest{Hosts: names, Timeout: "30m"})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range res.Deployments {
		ms[i].dep = d.ID
	}
}

func startVM(t *testing.T, ctx context.Context, l *Lab, name string, fw lab.Firmware, mac net.HardwareAddr, size int64) *lab.VM {
	return keepVM(t)(l.VM(ctx, name, fw, mac, size))
}

// keepVM takes the result of starting a VM: it fails the test on an error,
// and stops the VM when the test ends, printing its console if the test
// failed. Use as keepVM(t)(lab.StartVM(...)).
func keepVM(t *testing.T) func(*lab.VM, error) *lab.VM {
	return func(vm *lab.VM, err error) *lab.VM {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			vm.Stop()
			if t.Failed() {
				t.Logf("console of %s:\n%s", vm.Config.Name, tail(vm.Console.Text(), 10000))
			}
		})
		return vm
	}
}

// checkDiscovered: the unknown VM boots the installer in discovery mode
// and the server lists it with its MAC, disk and firmware.
func checkDiscovered(t *testing.T, ctx context.Context, c *client.Client, vm *lab.VM) {
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		hosts, _ := c.Hosts().All(ctx, map[string][]string{"state": {"discovered"}})
		if len(hosts) == 1 && len(hosts[0].Inventory) > 0 {
			var inv plan.Inventory
			if err := json.Unmarshal(hosts[0].Inventory, &inv); err != nil {
				t.Fatal(err)
			}
			if hosts[0].MACs[0].String() != "52:54:00:e2:e0:09" || inv.Firmware != api.FirmwareBIOS ||
				len(inv.Disks) != 1 || inv.Disks[0].Serial != "E2E-UNKNOWN" || inv.Disks[0].SizeBytes != 1<<30 {
				t.Errorf("discovered host %s: MACs %v, inventory %+v", hosts[0].Name, hosts[0].MACs, inv)
			}
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("the unknown VM was not discovered; console:\n%s", tail(vm.Console.Text(), 3000))
}

// follow waits for the deployment to end, marking the phases on the way.
func follow(t *testing.T, ctx context.Context, c *client.Client, m *machine) {
	start := m.on
	go func() {
		_, off, err := m.vm.Console.Wait(ctx, regexp.MustCompile(`ingot\.mode=install`), 0)
		if err != nil {
			return
		}
		m.set("installer", time.Since(start))
		if _, _, err := m.vm.Console.Wait(ctx, regexp.MustCompile(`Reached target .*Multi-User System`), off); err == nil {
			m.set("os", time.Since(start))
		}
	}()
	for {
		d, err := c.Deployments().Get(ctx, string(m.dep))
		if err != nil {
			t.Error(err)
			return
		}
		for _, s := range d.Steps {
			if s.Name == "wait-installer" && s.Status == api.StepSucceeded {
				m.set("written", time.Since(start))
			}
		}
		if d.State.Terminal() {
			m.set("phoned", time.Since(start))
			if d.State != api.DeploymentSucceeded {
				t.Errorf("%s: deployment %s ended %s: %v", m.name, d.ID, d.State, d.Error)
			}
			return
		}
		if ctx.Err() != nil {
			t.Errorf("%s: deployment %s still %s", m.name, d.ID, d.State)
			return
		}
		time.Sleep(time.Second)
	}
}

// checkDeployed asserts what the installed system reported and printed.
func checkDeployed(t *testing.T, c *client.Client, n *lab.Net, m *machine) {
	ctx := context.Background()
	sigs, err := c.Signals(ctx, m.dep)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(sigs, func(s api.Signal) bool { return s.Name == "firstboot" })
	if i < 0 {
		t.Fatalf("%s: no firstboot signal", m.name)
	}
	var r firstboot.Report
	if err := json.Unmarshal(sigs[i].Data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Hostname != m.name || r.OSID != "debian" || !slices.Contains(r.AuthorizedKeys, sshKey) {
		t.Errorf("%s phoned home %+v; want its hostname, debian and the SSH key", m.name, r)
	}
	if !slices.ContainsFunc(r.Addresses, func(a string) bool { p, err := netip.ParsePrefix(a); return err == nil && n.Subnet.Contains(p.Addr()) }) {
		t.Errorf("%s: addresses %v, none on the lab network %s", m.name, r.Addresses, n.Subnet)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, _, err := m.vm.Console.Wait(wctx, regexp.MustCompile(regexp.QuoteMeta(m.name)+` login:`), 0); err != nil {
		t.Errorf("%s: no login prompt with its hostname: %v", m.name, err)
	}
	h, err := c.Hosts().Get(ctx, m.name)
	if err != nil || h.State != api.HostDeployed || h.Boot != api.BootLocal {
		t.Errorf("%s: state %s boot %s (%v), want deployed and local", m.name, h.State, h.Boot, err)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("...%s", s[len(s)-n:])
}

// checkBoots asserts how the machine went from the installer to its OS: by
// kexec it never network-booted again, by a reboot iPXE handed it its disk.
func checkBoots(t *testing.T, m *machine) {
	con := m.vm.Console.Text()
	local := strings.Count(con, "Ingot: booting from local disk")
	if m.group != "lab-kexec" {
		if local == 0 {
			t.Errorf("%s: rebooted without network-booting to its disk", m.name)
		}
		return
	}
	if !strings.Contains(con, "installed kernel loaded for kexec") || local != 0 {
		t.Errorf("%s: kexec loaded %t, network boots to the disk %d; want true, 0",
			m.name, strings.Contains(con, "installed kernel loaded for kexec"), local)
	}
}
