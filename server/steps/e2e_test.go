package steps_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store/sqlstore"
)

type tokens struct {
	mu     sync.Mutex
	issued map[api.DeploymentID]string // deployment -> host
}

func (t *tokens) IssueInstaller(_ context.Context, d api.Deployment, _ time.Duration) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.issued[d.ID] = d.Host
	return nil
}

func (t *tokens) RevokeInstaller(_ context.Context, id api.DeploymentID) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.issued, id)
	return nil
}

func (t *tokens) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.issued)
}

// seed creates image, image set, hostgroup and host h1 in a fresh store.
func seed(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := t.Context()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	img := api.Image{ID: "sha256:" + strings.Repeat("a", 64), Name: "debian-13", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}
	mac, _ := api.ParseMAC("52:54:00:00:00:01")
	_, err1 := st.CreateImage(ctx, img)
	_, err2 := st.CreateImageSet(ctx, api.ImageSet{Name: "debian", Variants: []api.Variant{{Arch: img.Arch, Firmware: img.Firmware, Image: img.ID}}})
	_, err3 := st.CreateHostgroup(ctx, api.Hostgroup{Name: "web", ImageSet: "debian"})
	_, err4 := st.CreateHost(ctx, api.Host{Name: "h1", Hostgroup: "web", MACs: []api.MAC{mac}, State: api.HostRegistered, Boot: api.BootLocal})
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// A planned deployment runs to the end with the built-in steps over a real
// SQLite store, driven by the installer's and first boot's signals.
func TestPlannedDeploymentOnSQLite(t *testing.T) {
	ctx := t.Context()
	st := seed(t)
	tok := &tokens{issued: map[api.DeploymentID]string{}}
	reg := engine.NewRegistry()
	steps.Register(reg, steps.Deps{Hosts: st, Catalog: st, Tokens: tok, Signals: st, Events: st})
	d, err := planner.New(st).Plan(ctx, "h1", planner.Options{CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDeployments(ctx, []api.Deployment{d}); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(st, reg, engine.Config{LeaseTTL: time.Second, PollInterval: 20 * time.Millisecond}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	stepWaiting := func(i int) func() bool {
		return func() bool {
			got, _ := st.GetDeployment(ctx, d.ID)
			return got.Steps[i].Status == api.StepWaiting
		}
	}
	waitFor(t, "wait-installer waiting", stepWaiting(3))
	if h, _ := st.GetHost(ctx, "h1"); h.Boot != api.BootInstaller || h.State != api.HostDeploying || tok.count() != 1 {
		t.Fatalf("host boot %q state %q, %d tokens; want installer, deploying, 1", h.Boot, h.State, tok.count())
	}
	signal(t, st, eng, d.ID, "installer.progress", `{"bytes":512,"total":1024}`)
	waitFor(t, "progress recorded", func() bool {
		got, _ := st.GetDeployment(ctx, d.ID)
		return got.Steps[3].Progress != nil
	})
	signal(t, st, eng, d.ID, "installer.progress", `{"bytes":520,"total":1024}`) // same 5 % slice
	waitFor(t, "second progress recorded", func() bool {
		got, _ := st.GetDeployment(ctx, d.ID)
		return got.Steps[3].Progress.Bytes == 520
	})
	evs, err := st.Events(ctx, d.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	progressEvents := 0
	for _, e := range evs {
		if e.Type == engine.TypeStepProgress {
			progressEvents++
		}
	}
	if progressEvents != 1 {
		t.Errorf("%d step.progress events for two reports in one 5%% slice, want 1", progressEvents)
	}
	signal(t, st, eng, d.ID, "installer.done", "")
	waitFor(t, "wait-firstboot waiting", stepWaiting(5))
	if h, _ := st.GetHost(ctx, "h1"); h.Boot != api.BootLocal || h.State != api.HostDeploying {
		t.Fatalf("after installer.done: host boot %q state %q, want local (no reinstall loop), deploying", h.Boot, h.State)
	}
	signal(t, st, eng, d.ID, "firstboot", "")
	waitFor(t, "deployment succeeded", func() bool {
		got, _ := st.GetDeployment(ctx, d.ID)
		return got.State == api.DeploymentSucceeded
	})

	got, _ := st.GetDeployment(ctx, d.ID)
	if diff := cmp.Diff(&api.Progress{Bytes: 520, Total: 1024}, got.Steps[3].Progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	h, _ := st.GetHost(ctx, "h1")
	if h.Boot != api.BootLocal || h.State != api.HostDeployed || tok.count() != 0 {
		t.Errorf("host boot %q state %q, %d tokens; want local, deployed, 0", h.Boot, h.State, tok.count())
	}
}

func signal(t *testing.T, st *sqlstore.Store, eng *engine.Engine, id api.DeploymentID, name, data string) {
	t.Helper()
	s := api.Signal{Name: name}
	if data != "" {
		s.Data = api.RawJSON(data)
	}
	if err := st.AddSignal(t.Context(), id, s); err != nil {
		t.Fatal(err)
	}
	eng.Wake()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
