package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/installer/cmdline"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/report"
	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
)

// simHosts and simFailing shape the rollout simulation: 170 hosts behind
// emulated BMCs, 3 of which fail their power-on.
const simHosts = 170

var simFailing = map[string]bool{"h050": true, "h100": true, "h150": true}

// simWorkers is ingot serve's default --workers: how many deployments can
// be under way when the server is killed.
const simWorkers = 16

// simMachine is a machine without a VM: a power-on with the one-time PXE
// override "network-boots" it, which starts the fake installer.
type simMachine struct {
	mac  string
	fail bool
	pxe  func(mac string)

	mu sync.Mutex
	on bool
}

func (m *simMachine) PowerOn(context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on, nil
}

func (m *simMachine) Reset(_ context.Context, t, boot string) error {
	if m.fail {
		return fmt.Errorf("induced power failure of the machine behind this BMC")
	}
	m.mu.Lock()
	m.on = t != "ForceOff" && t != "GracefulShutdown"
	m.mu.Unlock()
	if m.on && boot == "Pxe" {
		go m.pxe(m.mac)
	}
	return nil
}

func (m *simMachine) InsertMedia(context.Context, string) error { return nil }
func (m *simMachine) EjectMedia(context.Context) error          { return nil }

// fakeInstaller plays what a network-booted machine does, over the real
// interfaces: iPXE fetches its script (which carries the deployment's
// installer token on the kernel command line), the installer fetches its
// plan, posts its inventory, progress and installer.done, and the installed
// system phones home with the plan's first-boot token.
//
// A machine may be booted twice: the server killed while it powered the
// machine on runs that step again after its restart (at least once). A real
// machine would restart its installer; here both runs go on, and the later
// one may find the deployment ended or its token gone. And a request the
// server acted on just before it was killed is retried after the restart,
// when its answer may be "token revoked" (the deployment ended meanwhile).
// So a machine counts as done when one of its runs finished or its
// deployment succeeded, and as failed otherwise.
type fakeInstaller struct {
	server string // base URL; the same across server restarts
	mu     sync.Mutex
	ok     map[string]bool      // machines with a finished run
	failed map[string]failedRun // the last failed run of each machine
}

type failedRun struct {
	dep api.DeploymentID
	err error
}

func (f *fakeInstaller) boot(mac string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dep, err := f.install(ctx, mac)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.failed[mac] = failedRun{dep, err}
		return
	}
	f.ok[mac] = true
}

// result is the number of machines done and the errors of those that are
// not.
func (f *fakeInstaller) result(t *testing.T, c *client.Client) (int, []error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	done := len(f.ok)
	var errs []error
	for mac, r := range f.failed {
		if f.ok[mac] {
			continue
		}
		if d, err := c.Deployments().Get(context.Background(), string(r.dep)); err == nil && d.State == api.DeploymentSucceeded {
			t.Logf("machine %s: %v; its deployment %s succeeded (a request answered after the restart)", mac, r.err, r.dep)
			done++
			continue
		}
		errs = append(errs, fmt.Errorf("machine %s (deployment %s): %w", mac, r.dep, r.err))
	}
	return done, errs
}

func (f *fakeInstaller) install(ctx context.Context, mac string) (api.DeploymentID, error) {
	cfg, err := f.ipxe(ctx, mac)
	if err != nil || cfg.Mode != cmdline.ModeInstall {
		return "", fmt.Errorf("network boot: %v (mode %q)", err, cfg.Mode)
	}
	return api.DeploymentID(cfg.Deployment), f.run(ctx, mac, cfg)
}

// run is the installer and the installed system's phone-home.
func (f *fakeInstaller) run(ctx context.Context, mac string, cfg cmdline.Config) error {
	c := &report.Client{Base: cfg.Server, Token: cfg.Token, MAC: mac, Backoff: 100 * time.Millisecond, Retries: 40}
	var p plan.Plan
	if err := c.Do(ctx, http.MethodGet, "/v1/installer/plan", nil, &p); err != nil {
		return err
	}
	inv := plan.Inventory{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, MemoryBytes: 1 << 30, BootMAC: mac,
		NICs: []plan.NIC{{Name: "eno1", MAC: mac, Link: true}}}
	if err := c.Do(ctx, http.MethodPost, "/v1/installer/inventory", inv, nil); err != nil {
		return err
	}
	if err := c.Signal(ctx, cfg.Deployment, "installer.progress", map[string]int64{"bytes": 1 << 30, "total": 2 << 30}); err != nil {
		return err
	}
	if err := c.Signal(ctx, cfg.Deployment, "installer.done", map[string]any{"disk": "/dev/vda", "bytes": 2 << 30}); err != nil {
		return err
	}
	home := &report.Client{Base: p.Config.PhoneHome, Token: p.Config.PhoneHomeToken, Backoff: 100 * time.Millisecond, Retries: 40}
	return home.Do(ctx, http.MethodPost, "", map[string]any{"name": "firstboot", "data": map[string]string{"hostname": p.Config.Hostname}}, nil)
}

// ipxe fetches the machine's iPXE script, retrying while the server is
// away as iPXE does, and parses its kernel line the way the installer
// parses /proc/cmdline.
func (f *fakeInstaller) ipxe(ctx context.Context, mac string) (cmdline.Config, error) {
	u := f.server + "/boot/ipxe/" + url.PathEscape(mac) + "?platform=efi"
	for {
		line, err := kernelLine(ctx, u)
		if err == nil {
			return cmdline.Parse(line)
		}
		select {
		case <-ctx.Done():
			return cmdline.Config{}, fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func kernelLine(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 1<<20))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "kernel "); ok {
			return rest, nil
		}
	}
	return "", fmt.Errorf("GET %s: no kernel line in the iPXE script", u)
}

// simBMCs starts one emulated BMC per host, each with its own machine
// identity, on loopback.
func simBMCs(t *testing.T, fi *fakeInstaller) map[string]*fakebmc.BMC {
	out := map[string]*fakebmc.BMC{}
	for i := range simHosts {
		name := fmt.Sprintf("h%03d", i)
		mac := fmt.Sprintf("52:54:00:01:%02x:%02x", i/256, i%256)
		m := &simMachine{mac: mac, fail: simFailing[name], pxe: fi.boot}
		out[name] = fakebmc.New(t, fakebmc.Options{Machine: m, Identity: emulator.Identity{
			UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Serial: "SIM" + name, Manufacturer: "Contoso", Model: "3500",
			Firmware: "1.00", MACs: []string{mac}}})
	}
	return out
}

// TestRolloutThroughServe rolls out 170 hosts through a real `ingot serve`
// whose BMCs are emulated over HTTP and whose installers are played by the
// test over the installer API. 3 BMCs fail; the server is killed halfway
// and restarted on the same data directory and port.
func TestRolloutThroughServe(t *testing.T) {
	testenv.SkipShort(t, "the 170-host rollout through ingot serve")
	data := t.TempDir()
	nb := filepath.Join(t.TempDir(), "netboot.yaml")
	mustOK(t, os.WriteFile(nb, []byte("interfaces: []\n"), 0o644)) // /boot/ only: no DHCP, no TFTP
	p := startServer(t, data, "--netboot", nb)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.url, "http://"))
	c := adminClient(t, p, data)
	fi := &fakeInstaller{server: p.url, ok: map[string]bool{}, failed: map[string]failedRun{}}
	bmcs := simBMCs(t, fi)
	simSeed(t, c, bmcs)

	start := time.Now()
	r, err := c.StartRollout(context.Background(), api.Rollout{Hostgroup: "rack", Canary: 2, Batch: 20, MaxFailures: 5})
	mustOK(t, err)
	half := simWait(t, c, r.Rollout.ID, func(s api.RolloutSummary) bool { return s.Counts[api.PhaseSucceeded] >= simHosts/2 })
	p.kill(syscall.SIGKILL)
	if half.State == "done" {
		t.Fatalf("the rollout was done before the server was killed: %v", half.Counts)
	}
	cpu := p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
	t.Logf("server killed (SIGKILL) halfway after %v; restarting on the same data directory", time.Since(start).Round(time.Millisecond))
	p = startServer(t, data, "--netboot", nb, "--listen", "127.0.0.1:"+port)
	sum := simWait(t, c, r.Rollout.ID, func(s api.RolloutSummary) bool { return s.State == "done" })
	wall := time.Since(start)

	if sum.Counts[api.PhaseSucceeded] != simHosts-3 || sum.Counts[api.PhaseFailed] != 3 {
		t.Fatalf("rollout counts %v; want %d succeeded and 3 failed", sum.Counts, simHosts-3)
	}
	c = adminClient(t, p, data)
	if done, errs := fi.result(t, c); len(errs) > 0 || done != simHosts-3 {
		t.Errorf("fake installers: %d machines done, errors %v", done, errs)
	}
	simCheckFailures(t, c, sum, bmcs)
	simCheckOnePerHost(t, c)
	calls := simCheckCalls(t, bmcs)
	p.kill(syscall.SIGTERM)
	cpu += p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
	t.Logf("rollout of %d hosts through ingot serve: control plane %v wall, server CPU %v (%v per host), %d Redfish calls per succeeded host",
		simHosts, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), (cpu / simHosts).Round(time.Microsecond), calls)
}

// simSeed registers an image set, a PXE hostgroup, a BMC credential and
// the hosts with their BMCs.
func simSeed(t *testing.T, c *client.Client, bmcs map[string]*fakebmc.BMC) {
	ctx := context.Background()
	img := registerZeroImage(t, c, "debian")
	mustOK(t, second(c.ImageSets().Create(ctx, api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: img}}})))
	mustOK(t, second(c.Hostgroups().Create(ctx, api.Hostgroup{Name: "rack", ImageSet: "base", BootPath: api.BootPXE})))
	mustOK(t, second(c.Credentials().Put(ctx, "bmc", api.Credential{Name: "bmc", Username: fakebmc.User, Password: fakebmc.Password})))
	for i := range simHosts {
		name := fmt.Sprintf("h%03d", i)
		m, _ := api.ParseMAC(fmt.Sprintf("52:54:00:01:%02x:%02x", i/256, i%256))
		mustOK(t, second(c.Hosts().Create(ctx, api.Host{Name: name, Hostgroup: "rack", MACs: []api.MAC{m},
			BMC: &api.BMC{Endpoint: bmcs[name].URL(), Credential: "bmc"}})))
	}
}

func simWait(t *testing.T, c *client.Client, id api.RolloutID, ok func(api.RolloutSummary) bool) api.RolloutSummary {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	var s api.RolloutSummary
	for time.Now().Before(deadline) {
		var err error
		if s, err = c.Rollout(context.Background(), id); err == nil && ok(s) {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("rollout stuck: %v %v", s.State, s.Counts)
	return s
}

// simCheckFailures: each failure is one of the induced ones, names the BMC
// and the call, and was compensated: its steps undone and, on the BMC, the
// boot override cleared after the failed power-on, the machine left off.
func simCheckFailures(t *testing.T, c *client.Client, sum api.RolloutSummary, bmcs map[string]*fakebmc.BMC) {
	t.Helper()
	for _, f := range sum.Failures {
		b := bmcs[f.Host]
		addr := strings.TrimPrefix(b.URL(), "http://")
		if !simFailing[f.Host] || f.Error == nil || !strings.Contains(f.Error.Message, "bmc "+addr) || !strings.Contains(f.Error.Message, "reset On") {
			t.Errorf("failure of %s: %+v; want an induced one naming bmc %s and the call", f.Host, f.Error, addr)
			continue
		}
		t.Logf("failed %s: %s", f.Host, f.Error.Message)
		evs := must1(c.Events(context.Background(), f.Deployment, 0))
		var undone []string
		for _, e := range evs {
			if e.Type == "step.undone" {
				undone = append(undone, e.Message)
			}
		}
		if len(undone) < 4 {
			t.Errorf("%s: %d steps undone (%v); want bmc-boot, set-boot, installer-token, validate", f.Host, len(undone), undone)
		}
		reqs := b.Requests()
		failed := slices.IndexFunc(reqs, func(r fakebmc.Request) bool { return r.Method == http.MethodPost && r.Status == 500 })
		if failed < 0 || !slices.ContainsFunc(reqs[failed:], func(r fakebmc.Request) bool { return r.Method == http.MethodPatch && r.Status < 300 }) {
			t.Errorf("%s: no boot override cleared after the failed power-on: %v", f.Host, reqs)
		}
		rc, err := redfish.Connect(context.Background(), redfish.Config{Endpoint: b.URL(), Username: fakebmc.User, Password: fakebmc.Password})
		mustOK(t, err)
		o := must1(rc.BootOverride(context.Background()))
		power := must1(rc.PowerState(context.Background()))
		if o.Enabled != "Disabled" || power != redfish.PowerOff {
			t.Errorf("%s after compensation: boot override %q, power %s; want Disabled and Off", f.Host, o.Enabled, power)
		}
	}
}

func simCheckOnePerHost(t *testing.T, c *client.Client) {
	t.Helper()
	ds := must1(c.Deployments().All(context.Background(), url.Values{"hostgroup": {"rack"}}))
	per := map[string]int{}
	for _, d := range ds {
		per[d.Host]++
	}
	if len(ds) != simHosts || len(per) != simHosts {
		t.Errorf("%d deployments for %d hosts; want exactly one per host", len(ds), len(per))
	}
}

// simCheckCalls: every succeeded host cost the same, small number of
// Redfish calls, none of them rejected.
//
// It returns the number most hosts took. Steps run at least once: a host
// whose Redfish step was under way when the server was killed runs it again
// after the restart, so a few hosts (at most the engine's workers) may take
// more calls, but never more than twice as many.
func simCheckCalls(t *testing.T, bmcs map[string]*fakebmc.BMC) int {
	t.Helper()
	counts := map[int]int{}
	for h, b := range bmcs {
		if simFailing[h] {
			continue
		}
		counts[len(b.Requests())]++
		if r := b.Rejected(); len(r) > 0 {
			t.Errorf("%s: rejected Redfish requests %v", h, r)
		}
	}
	t.Logf("Redfish calls per succeeded host: %v (calls: hosts); h000: %v", counts, bmcs["h000"].Requests())
	n, most := 0, 0
	for calls, hosts := range counts {
		if hosts > most {
			n, most = calls, hosts
		}
	}
	if n > 8 || most < simHosts-3-simWorkers {
		t.Errorf("Redfish calls per host %v; want one fixed number, at most 8, for all but the hosts under way at the kill", counts)
	}
	for calls := range counts {
		if calls > 2*n {
			t.Errorf("%d Redfish calls for some host: more than twice the usual %d", calls, n)
		}
	}
	return n
}
