package rollout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/rollout"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
	"ingot.dev/ingot/server/store/sqlstore"
)

// machine is a BMC's machine whose resets can be made to fail (500).
type machine struct {
	mu   sync.Mutex
	on   bool
	fail bool
}

func (m *machine) PowerOn(context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on, nil
}
func (m *machine) Reset(_ context.Context, t, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return fmt.Errorf("induced reset failure")
	}
	m.on = t != "ForceOff" && t != "GracefulShutdown"
	return nil
}
func (m *machine) InsertMedia(context.Context, string) error { return nil }
func (m *machine) EjectMedia(context.Context) error          { return nil }

// simBMC is an emulated BMC on loopback that counts requests.
type simBMC struct {
	url   string
	calls atomic.Int64
}

func newBMC(t *testing.T, fail bool) *simBMC {
	b := &simBMC{}
	srv := emulator.New(emulator.Config{Username: fakebmc.User, Password: fakebmc.Password, Machine: &machine{fail: fail}})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.calls.Add(1)
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	b.url = ts.URL
	return b
}

type bmcs struct{}

func (bmcs) Connect(ctx context.Context, h api.Host) (steps.BMC, error) {
	return redfish.Connect(ctx, redfish.Config{Endpoint: h.BMC.Endpoint, Username: fakebmc.User, Password: fakebmc.Password,
		Retry: redfish.Retry{Attempts: 2, Backoff: 10 * time.Millisecond}, PollInterval: 10 * time.Millisecond})
}

type nopTokens struct{}

func (nopTokens) IssueInstaller(context.Context, api.Deployment, time.Duration) error { return nil }
func (nopTokens) RevokeInstaller(context.Context, api.DeploymentID) error             { return nil }

const nHosts = 170

var failing = map[string]bool{"h050": true, "h100": true, "h150": true}

func seed(t *testing.T, st *sqlstore.Store) map[string]*simBMC {
	ctx := t.Context()
	img := api.Image{ID: "sha256:" + strings.Repeat("a", 64), Name: "debian-13", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}
	must(t, first(st.CreateImage(ctx, img)))
	must(t, first(st.CreateImageSet(ctx, api.ImageSet{Name: "debian", Variants: []api.Variant{{Arch: img.Arch, Firmware: img.Firmware, Image: img.ID}}})))
	must(t, first(st.CreateHostgroup(ctx, api.Hostgroup{Name: "web", ImageSet: "debian", BootPath: api.BootPXE})))
	out := map[string]*simBMC{}
	for i := range nHosts {
		name := fmt.Sprintf("h%03d", i)
		b := newBMC(t, failing[name])
		out[name] = b
		mac, _ := api.ParseMAC(fmt.Sprintf("52:54:00:00:%02x:%02x", i/256, i%256))
		must(t, first(st.CreateHost(ctx, api.Host{Name: name, Hostgroup: "web", MACs: []api.MAC{mac},
			State: api.HostRegistered, Boot: api.BootLocal, BMC: &api.BMC{Endpoint: b.url}})))
	}
	return out
}

// server is the control plane of one server life: engine, rollout
// controller and a fake installer that answers every waiting step.
func serve(ctx context.Context, st *sqlstore.Store) func() {
	ctx, cancel := context.WithCancel(ctx)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := engine.NewRegistry()
	steps.Register(reg, steps.Deps{Hosts: st, Catalog: st, Tokens: nopTokens{}, Signals: st, Events: st, BMC: bmcs{}})
	eng, err := engine.New(st, reg, engine.Config{PollInterval: 20 * time.Millisecond, Workers: 16, GlobalCap: 200}, log)
	if err != nil {
		panic(err)
	}
	ctl := rollout.New(st, planner.New(st), rollout.Config{Interval: 20 * time.Millisecond, Wake: eng.Wake}, log)
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{eng.Run, ctl.Run, func(ctx context.Context) error { return installer(ctx, st, eng.Wake) }} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	return func() {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			// A control plane that does not stop is a bug: fail with every
			// goroutine's stack rather than hang the test run.
			buf := make([]byte, 1<<20)
			panic("control plane did not stop within a minute of its cancel:\n" + string(buf[:runtime.Stack(buf, true)]))
		}
	}
}

// installer posts installer.progress and installer.done, then firstboot,
// to every deployment waiting for them.
func installer(ctx context.Context, st *sqlstore.Store, wake func()) error {
	seen := map[string]bool{}
	for ctx.Err() == nil {
		page, err := st.ListDeployments(ctx, store.DeploymentFilter{State: api.DeploymentRunning, ListOptions: store.ListOptions{Limit: 1000}})
		if err == nil {
			for _, d := range page.Items {
				signalWaiting(ctx, st, d, seen)
			}
			wake()
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func signalWaiting(ctx context.Context, st *sqlstore.Store, d api.Deployment, seen map[string]bool) {
	for _, s := range d.Steps {
		key := string(d.ID) + "/" + s.Name
		if s.Status != api.StepWaiting || seen[key] {
			continue
		}
		seen[key] = true
		switch s.Name {
		case steps.KindWaitInstaller:
			_ = st.AddSignal(ctx, d.ID, api.Signal{Name: steps.SignalInstallerProgress, Data: json.RawMessage(`{"bytes":50,"total":100}`)})
			_ = st.AddSignal(ctx, d.ID, api.Signal{Name: steps.SignalInstallerDone})
		case steps.KindWaitFirstboot:
			_ = st.AddSignal(ctx, d.ID, api.Signal{Name: steps.SignalFirstboot})
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func first[T any](_ T, err error) error { return err }

func cpuTicks() int64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// 170 hosts behind emulated BMCs, 3 of which fail their reset, rolled out
// with 2 canaries and batches of 20 under a 5% failure threshold; the
// control plane restarts halfway.
func TestRolloutSimulation(t *testing.T) {
	testenv.SkipShort(t, "the 170-host rollout simulation")
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "ingot.db")
	st, err := sqlstore.Open(ctx, path)
	must(t, err)
	bmcsByHost := seed(t, st)
	r, err := rollout.Start(ctx, st, api.Rollout{Hostgroup: "web", Canary: 2, Batch: 20, MaxFailures: 5}, "alice")
	must(t, err)
	start, cpu0 := time.Now(), cpuTicks()
	stop := serve(ctx, st)
	ctl := rollout.New(st, planner.New(st), rollout.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	waitFor(t, ctl, r.ID, func(s api.RolloutSummary) bool { return s.Counts[api.PhaseSucceeded] >= nHosts/2 })
	stop()
	must(t, st.Close())
	t.Log("server restarted halfway")
	st, err = sqlstore.Open(ctx, path)
	must(t, err)
	defer st.Close()
	must(t, st.ReleaseAll(ctx))
	stop = serve(ctx, st)
	ctl = rollout.New(st, planner.New(st), rollout.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sum := waitFor(t, ctl, r.ID, func(s api.RolloutSummary) bool { return s.State == "done" })
	stop()
	wall, cpu := time.Since(start), time.Duration(cpuTicks()-cpu0)*10*time.Millisecond

	if sum.Counts[api.PhaseSucceeded] != nHosts-3 || sum.Counts[api.PhaseFailed] != 3 {
		t.Fatalf("counts %v; want %d succeeded, 3 failed", sum.Counts, nHosts-3)
	}
	checkFailures(t, st, sum, bmcsByHost)
	checkNoDuplicates(t, st, r.ID)
	checkCalls(t, bmcsByHost)
	t.Logf("170 hosts: control plane %v wall, %v CPU (test process: server, fake installer and BMCs)", wall.Round(time.Millisecond), cpu)
}

func waitFor(t *testing.T, ctl *rollout.Controller, id api.RolloutID, ok func(api.RolloutSummary) bool) api.RolloutSummary {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		s, err := ctl.Summary(t.Context(), id)
		must(t, err)
		if ok(s) {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, _ := ctl.Summary(t.Context(), id)
	t.Fatalf("rollout stuck: %+v", s.Counts)
	return s
}

func checkFailures(t *testing.T, st *sqlstore.Store, sum api.RolloutSummary, by map[string]*simBMC) {
	t.Helper()
	for _, f := range sum.Failures {
		bmc := strings.TrimPrefix(by[f.Host].url, "http://")
		if !failing[f.Host] || f.Error == nil || f.Error.Code != steps.CodeBMC || !strings.Contains(f.Error.Message, bmc) {
			t.Errorf("failure %s: %+v; want one of %v with a bmc error naming %s", f.Host, f.Error, failing, bmc)
			continue
		}
		t.Logf("failed %s: %s (hint: %s)", f.Host, f.Error.Message, f.Error.Hint)
		evs, err := st.Events(t.Context(), f.Deployment, 0, 1000)
		must(t, err)
		undone := 0
		for _, e := range evs {
			if e.Type == engine.TypeStepUndone {
				undone++
			}
		}
		if undone < 3 {
			t.Errorf("%s: %d step.undone events; want compensation of bmc-boot, set-boot, installer-token", f.Host, undone)
		}
	}
}

func checkNoDuplicates(t *testing.T, st *sqlstore.Store, id api.RolloutID) {
	t.Helper()
	page, err := st.ListDeployments(t.Context(), store.DeploymentFilter{Hostgroup: "web", ListOptions: store.ListOptions{Limit: 1000}})
	must(t, err)
	per := map[string]int{}
	for _, d := range page.Items {
		if d.CreatedBy == rollout.Tag(id) {
			per[d.Host]++
		}
	}
	if len(page.Items) != nHosts || len(per) != nHosts {
		t.Errorf("%d deployments for %d hosts; want exactly one per host", len(page.Items), len(per))
	}
}

// checkCalls: every good host costs the same small number of Redfish calls.
func checkCalls(t *testing.T, by map[string]*simBMC) {
	t.Helper()
	counts := map[int64]int{}
	for h, b := range by {
		if !failing[h] {
			counts[b.calls.Load()]++
		}
	}
	t.Logf("Redfish calls per succeeded host: %v (calls: hosts)", counts)
	for n := range counts {
		if n > 12 || len(counts) != 1 {
			t.Errorf("Redfish calls per host %v; want one fixed number, at most 12", counts)
		}
	}
}
