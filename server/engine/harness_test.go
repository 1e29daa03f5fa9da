package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/api"
)

// recorder notes what test steps did, in order.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func (r *recorder) count(call string) int {
	n := 0
	for _, c := range r.list() {
		if c == call {
			n++
		}
	}
	return n
}

// testParams choose what a "test" step does.
type testParams struct {
	Fail     bool   `json:"fail,omitempty"`
	Panic    bool   `json:"panic,omitempty"`
	UndoFail bool   `json:"undo_fail,omitempty"`
	Signal   string `json:"signal,omitempty"` // wait until this signal is stored
	Block    bool   `json:"block,omitempty"`  // block until the step's ctx ends
}

type testStep struct {
	rec *recorder
	st  Store
	d   api.Deployment
	i   int
	p   testParams
}

func (s *testStep) Do(ctx context.Context) error {
	s.rec.add("do:%d", s.i)
	switch {
	case s.p.Panic:
		panic("boom")
	case s.p.Fail:
		return &api.StepError{Code: "test", Message: "step failed on purpose", Hint: "fix the test"}
	case s.p.Block:
		<-ctx.Done()
		s.rec.add("interrupted:%d", s.i)
		return ctx.Err()
	case s.p.Signal != "":
		sigs, err := s.st.Signals(ctx, s.d.ID)
		if err != nil {
			return err
		}
		for _, sig := range sigs {
			if sig.Name == s.p.Signal {
				return nil
			}
		}
		return fmt.Errorf("no %s yet: %w", s.p.Signal, &Wait{Reason: s.p.Signal})
	}
	return nil
}

func (s *testStep) Undo(context.Context) error {
	s.rec.add("undo:%d", s.i)
	if s.p.UndoFail {
		return fmt.Errorf("undo of step %d failed on purpose", s.i)
	}
	return nil
}

func testRegistry(rec *recorder, st Store) *Registry {
	reg := NewRegistry()
	reg.Register("test", func(d api.Deployment, i int, params json.RawMessage) (Step, error) {
		var p testParams
		if len(params) > 0 {
			dec := json.NewDecoder(bytes.NewReader(params))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				return nil, fmt.Errorf("params: %w", err)
			}
		}
		return &testStep{rec: rec, st: st, d: d, i: i, p: p}, nil
	})
	return reg
}

// dep builds a pending deployment with one "test" step per params value.
func dep(id string, params ...testParams) api.Deployment {
	d := api.Deployment{
		ID: api.DeploymentID(id), Host: "h1", Hostgroup: "g", ImageSet: "s",
		State: api.DeploymentPending, CreatedAt: time.Now(),
	}
	for _, p := range params {
		raw, _ := json.Marshal(p)
		d.Steps = append(d.Steps, api.Step{Name: "test", Params: raw, Status: api.StepPending})
	}
	return d
}

type harness struct {
	st  *fakeStore
	rec *recorder
	eng *Engine
}

func testConfig() Config {
	return Config{Owner: "test-engine", LeaseTTL: 300 * time.Millisecond, PollInterval: 10 * time.Millisecond, Workers: 2}
}

// start runs an engine over st (a fresh fake store if nil) until the test
// ends.
func start(t *testing.T, cfg Config, st *fakeStore) *harness {
	t.Helper()
	if st == nil {
		st = newFakeStore()
	}
	rec := &recorder{}
	return &harness{st: st, rec: rec, eng: runEngine(t, cfg, st, rec)}
}

// runEngine runs an engine with the test step kinds over st until the test
// ends, and checks that Run returns cleanly.
func runEngine(t *testing.T, cfg Config, st Store, rec *recorder) *Engine {
	t.Helper()
	eng, err := New(st, testRegistry(rec, st), cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return eng
}

// waitFor polls cond until it holds or 5s pass.
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

// waitState waits until deployment id is in state s and returns it.
func (h *harness) waitState(t *testing.T, id string, s api.DeploymentState) api.Deployment {
	t.Helper()
	var d api.Deployment
	waitFor(t, fmt.Sprintf("deployment %s to be %s", id, s), func() bool {
		d, _ = h.st.GetDeployment(t.Context(), api.DeploymentID(id))
		return d.State == s
	})
	return d
}

func statuses(d api.Deployment) []api.StepStatus {
	var out []api.StepStatus
	for _, s := range d.Steps {
		out = append(out, s.Status)
	}
	return out
}
