package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

type cancelCase struct {
	name       string
	step1      testParams
	early      bool // cancel before any engine sees the deployment
	wantStatus []api.StepStatus
	wantCalls  []string
}

var cancelCases = []cancelCase{
	{
		name:       "pending",
		early:      true,
		wantStatus: []api.StepStatus{api.StepSkipped, api.StepSkipped, api.StepSkipped},
	},
	{
		name:       "waiting",
		step1:      testParams{Signal: "never"},
		wantStatus: []api.StepStatus{api.StepUndone, api.StepUndone, api.StepSkipped},
		wantCalls:  []string{"do:0", "do:1", "undo:1", "undo:0"},
	},
	{
		name:       "running",
		step1:      testParams{Block: true},
		wantStatus: []api.StepStatus{api.StepUndone, api.StepUndone, api.StepSkipped},
		wantCalls:  []string{"do:0", "do:1", "interrupted:1", "undo:1", "undo:0"},
	},
}

func TestCancel(t *testing.T) {
	tests := cancelCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFakeStore()
			st.create(dep("d1", testParams{}, tt.step1, testParams{}))
			if tt.early {
				if err := st.RequestCancel(t.Context(), "d1"); err != nil {
					t.Fatal(err)
				}
			}
			h := start(t, testConfig(), st)
			if !tt.early {
				waitFor(t, "step 1 under way", func() bool { return h.rec.count("do:1") > 0 })
				if err := st.RequestCancel(t.Context(), "d1"); err != nil {
					t.Fatal(err)
				}
				h.eng.Wake()
			}
			d := h.waitState(t, "d1", api.DeploymentCancelled)
			if d.Error == nil || d.Error.Code != CodeCancelled {
				t.Errorf("error = %+v; want code %q", d.Error, CodeCancelled)
			}
			if diff := cmp.Diff(tt.wantStatus, statuses(d)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, h.rec.list()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			evs := st.eventsOf("d1")
			if last := evs[len(evs)-1]; last != "-1 deployment.cancelled" {
				t.Errorf("last event = %q; want deployment.cancelled", last)
			}
		})
	}
}

func TestPanicFailsStepAndEngineGoesOn(t *testing.T) {
	h := start(t, testConfig(), nil)
	h.st.create(dep("bad", testParams{}, testParams{Panic: true}))
	d := h.waitState(t, "bad", api.DeploymentFailed)
	if d.Error == nil || d.Error.Code != CodePanic || d.Steps[1].Error == nil {
		t.Fatalf("error = %+v, step error = %+v; want code %q on both", d.Error, d.Steps[1].Error, CodePanic)
	}
	h.st.create(dep("good", testParams{}))
	h.eng.Wake()
	h.waitState(t, "good", api.DeploymentSucceeded)
}

// A deployment whose engine died while step 1 ran: a fresh engine resumes
// step 1 and never runs step 0 again.
func TestRestartResumesStepInFlight(t *testing.T) {
	st := newFakeStore()
	d := dep("d1", testParams{}, testParams{}, testParams{})
	past := time.Now().Add(-time.Minute)
	d.State, d.StartedAt = api.DeploymentRunning, past
	d.Steps[0].Status, d.Steps[0].StartedAt, d.Steps[0].FinishedAt, d.Steps[0].Attempts = api.StepSucceeded, past, past, 1
	d.Steps[1].Status, d.Steps[1].StartedAt, d.Steps[1].Attempts = api.StepRunning, past, 1
	st.create(d,
		api.Event{Step: -1, Type: TypeDeploymentStarted},
		api.Event{Step: 0, Type: TypeStepStarted}, api.Event{Step: 0, Type: TypeStepSucceeded},
		api.Event{Step: 1, Type: TypeStepStarted})
	st.steal("d1", "dead-engine")
	st.mu.Lock()
	st.deps["d1"].lease.Until = past // the dead engine's lease ran out
	st.mu.Unlock()

	h := start(t, testConfig(), st)
	got := h.waitState(t, "d1", api.DeploymentSucceeded)

	if diff := cmp.Diff([]string{"do:1", "do:2"}, h.rec.list()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	want := []string{
		"-1 deployment.created", "-1 deployment.started",
		"0 step.started", "0 step.succeeded",
		"1 step.started", "1 step.resumed", "1 step.succeeded",
		"2 step.started", "2 step.succeeded",
		"-1 deployment.succeeded",
	}
	if diff := cmp.Diff(want, st.eventsOf("d1")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got.Steps[1].Attempts != 2 {
		t.Errorf("step 1 attempts = %d; want 2", got.Steps[1].Attempts)
	}
}

func TestLeaseLostStopsWork(t *testing.T) {
	h := start(t, testConfig(), nil)
	h.st.create(dep("d1", testParams{}, testParams{Block: true}, testParams{}))
	waitFor(t, "step 1 under way", func() bool { return h.rec.count("do:1") > 0 })
	h.st.steal("d1", "other-engine")
	waitFor(t, "step 1 interrupted", func() bool { return h.rec.count("interrupted:1") > 0 })
	time.Sleep(100 * time.Millisecond) // give a wrong engine time to misbehave

	d, _ := h.st.GetDeployment(t.Context(), "d1")
	if d.State != api.DeploymentRunning || d.Steps[1].Status != api.StepRunning {
		t.Errorf("state %s, step 1 %s; want running, running (left for the new owner)", d.State, d.Steps[1].Status)
	}
	if got := h.st.leaseOf("d1").Owner; got != "other-engine" {
		t.Errorf("lease owner = %q; want other-engine", got)
	}
	if got := h.rec.list(); len(got) != 3 {
		t.Errorf("calls = %v; want only do:0 do:1 interrupted:1", got)
	}
}

func TestStopLeavesStepInFlight(t *testing.T) {
	st := newFakeStore()
	rec := &recorder{}
	eng, err := New(st, testRegistry(rec, st), testConfig(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	st.create(dep("d1", testParams{}, testParams{Block: true}))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	waitFor(t, "step 1 under way", func() bool { return rec.count("do:1") > 0 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v; want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	d, _ := st.GetDeployment(t.Context(), "d1")
	if d.State != api.DeploymentRunning || d.Steps[1].Status != api.StepRunning {
		t.Errorf("state %s, step 1 %s; want running, running", d.State, d.Steps[1].Status)
	}
	if got := st.leaseOf("d1"); got != (store.Lease{}) {
		t.Errorf("lease = %+v; want released", got)
	}
}

func TestUnknownStepFailsDeployment(t *testing.T) {
	h := start(t, testConfig(), nil)
	d := dep("d1", testParams{})
	d.Steps = append(d.Steps, api.Step{Name: "nope", Params: json.RawMessage(`{}`), Status: api.StepPending})
	h.st.create(d)
	got := h.waitState(t, "d1", api.DeploymentFailed)
	if got.Error == nil || got.Error.Code != CodeInvalid || got.Error.Step != "nope" {
		t.Errorf("error = %+v; want code %q on step nope", got.Error, CodeInvalid)
	}
}

func TestInconsistentStepStatusFails(t *testing.T) {
	st := newFakeStore()
	d := dep("d1", testParams{}, testParams{})
	d.State = api.DeploymentRunning
	d.Steps[0].Status = api.StepUndone // cannot happen in a running deployment
	st.create(d)
	h := start(t, testConfig(), st)
	got := h.waitState(t, "d1", api.DeploymentFailed)
	if got.Error == nil || got.Error.Code != CodeInvalid {
		t.Errorf("error = %+v; want code %q", got.Error, CodeInvalid)
	}
	if diff := cmp.Diff([]api.StepStatus{api.StepUndone, api.StepSkipped}, statuses(got)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if calls := h.rec.list(); len(calls) != 0 {
		t.Errorf("calls = %v; want none", calls)
	}
}

type fakeMetrics struct {
	mu    sync.Mutex
	steps []string
	deps  []api.DeploymentState
}

func (m *fakeMetrics) StepFinished(kind string, status api.StepStatus, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.steps = append(m.steps, kind+" "+string(status))
}

func (m *fakeMetrics) DeploymentFinished(s api.DeploymentState, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deps = append(m.deps, s)
}

func TestMetrics(t *testing.T) {
	m := &fakeMetrics{}
	cfg := testConfig()
	cfg.Metrics = m
	h := start(t, cfg, nil)
	h.st.create(dep("d1", testParams{}, testParams{Fail: true}))
	h.waitState(t, "d1", api.DeploymentFailed)
	waitFor(t, "deployment metric", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.deps) == 1
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	if diff := cmp.Diff([]string{"test succeeded", "test failed"}, m.steps); diff != "" {
		t.Errorf("step metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]api.DeploymentState{api.DeploymentFailed}, m.deps); diff != "" {
		t.Errorf("deployment metrics (-want +got):\n%s", diff)
	}
}
