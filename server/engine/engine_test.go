package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
)

func TestSuccessRunsStepsInOrder(t *testing.T) {
	h := start(t, testConfig(), nil)
	h.st.create(dep("d1", testParams{}, testParams{}, testParams{}))
	h.eng.Wake()
	d := h.waitState(t, "d1", api.DeploymentSucceeded)

	want := []string{
		"-1 deployment.created", "-1 deployment.started",
		"0 step.started", "0 step.succeeded",
		"1 step.started", "1 step.succeeded",
		"2 step.started", "2 step.succeeded",
		"-1 deployment.succeeded",
	}
	if diff := cmp.Diff(want, h.st.eventsOf("d1")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"do:0", "do:1", "do:2"}, h.rec.list()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	wantStatus := []api.StepStatus{api.StepSucceeded, api.StepSucceeded, api.StepSucceeded}
	if diff := cmp.Diff(wantStatus, statuses(d)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if d.StartedAt.IsZero() || d.FinishedAt.IsZero() || d.Error != nil {
		t.Errorf("deployment = started %v finished %v error %v; want both times and no error", d.StartedAt, d.FinishedAt, d.Error)
	}
	waitFor(t, "lease released", func() bool { return h.st.leaseOf("d1").Owner == "" })
}

type compensationCase struct {
	name       string
	params     []testParams
	wantCalls  []string
	wantStatus []api.StepStatus
	wantEvents []string
}

var compensationCases = []compensationCase{
	{
		name:      "third step fails",
		params:    []testParams{{}, {}, {Fail: true}, {}},
		wantCalls: []string{"do:0", "do:1", "do:2", "undo:2", "undo:1", "undo:0"},
		wantStatus: []api.StepStatus{
			api.StepUndone, api.StepUndone, api.StepUndone, api.StepSkipped,
		},
		wantEvents: []string{
			"-1 deployment.created", "-1 deployment.started",
			"0 step.started", "0 step.succeeded",
			"1 step.started", "1 step.succeeded",
			"2 step.started", "2 step.failed",
			"3 step.skipped", "-1 deployment.compensating",
			"2 step.undoing", "2 step.undone",
			"1 step.undoing", "1 step.undone",
			"0 step.undoing", "0 step.undone",
			"-1 deployment.failed",
		},
	},
	{
		name:      "an undo failure does not stop compensation",
		params:    []testParams{{}, {UndoFail: true}, {Fail: true}},
		wantCalls: []string{"do:0", "do:1", "do:2", "undo:2", "undo:1", "undo:0"},
		wantStatus: []api.StepStatus{
			api.StepUndone, api.StepUndoFailed, api.StepUndone,
		},
		wantEvents: []string{
			"-1 deployment.created", "-1 deployment.started",
			"0 step.started", "0 step.succeeded",
			"1 step.started", "1 step.succeeded",
			"2 step.started", "2 step.failed",
			"-1 deployment.compensating",
			"2 step.undoing", "2 step.undone",
			"1 step.undoing", "1 step.undo_failed",
			"0 step.undoing", "0 step.undone",
			"-1 deployment.failed",
		},
	},
}

func TestFailureCompensatesInReverse(t *testing.T) {
	tests := compensationCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, testConfig(), nil)
			h.st.create(dep("d1", tt.params...))
			d := h.waitState(t, "d1", api.DeploymentFailed)
			if diff := cmp.Diff(tt.wantCalls, h.rec.list()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStatus, statuses(d)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEvents, h.st.eventsOf("d1")); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			wantErr := &api.StepError{Step: "test", Code: "test", Message: "step failed on purpose", Hint: "fix the test"}
			if diff := cmp.Diff(wantErr, d.Error); diff != "" {
				t.Errorf("deployment error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWaitingStepResumesOnSignal(t *testing.T) {
	cfg := testConfig()
	cfg.PollInterval = time.Hour // only Wake may get the engine going again
	h := start(t, cfg, nil)
	h.st.create(dep("d1", testParams{}, testParams{Signal: "go"}, testParams{}))
	h.eng.Wake()

	waitFor(t, "step 1 waiting and lease released", func() bool {
		d, _ := h.st.GetDeployment(t.Context(), "d1")
		return d.Steps[1].Status == api.StepWaiting && h.st.leaseOf("d1").Owner == ""
	})
	// A signal the step does not want wakes it but it waits on, quietly.
	saves := h.st.saveCount()
	if err := h.st.AddSignal(t.Context(), "d1", api.Signal{Name: "noise"}); err != nil {
		t.Fatal(err)
	}
	h.eng.Wake()
	waitFor(t, "second poll saved", func() bool {
		return h.st.saveCount() > saves && h.st.leaseOf("d1").Owner == ""
	})
	if err := h.st.AddSignal(t.Context(), "d1", api.Signal{Name: "go"}); err != nil {
		t.Fatal(err)
	}
	h.eng.Wake()
	h.waitState(t, "d1", api.DeploymentSucceeded)

	want := []string{
		"-1 deployment.created", "-1 deployment.started",
		"0 step.started", "0 step.succeeded",
		"1 step.started", "1 step.waiting", "1 step.succeeded",
		"2 step.started", "2 step.succeeded",
		"-1 deployment.succeeded",
	}
	if diff := cmp.Diff(want, h.st.eventsOf("d1")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := h.rec.count("do:1"); got != 3 {
		t.Errorf("step 1 ran %d times; want 3 (wait, noise, go)", got)
	}
	if got := h.rec.count("do:0"); got != 1 {
		t.Errorf("step 0 ran %d times; want 1", got)
	}
}

func TestTimeoutCompensates(t *testing.T) {
	tests := []struct {
		name string
		step testParams
	}{
		{name: "while waiting for a signal", step: testParams{Signal: "never"}},
		{name: "while a step runs", step: testParams{Block: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, testConfig(), nil)
			d := dep("d1", testParams{}, tt.step, testParams{})
			d.Deadline = time.Now().Add(300 * time.Millisecond)
			h.st.create(d)
			got := h.waitState(t, "d1", api.DeploymentFailed)
			if got.Error == nil || got.Error.Code != CodeTimeout {
				t.Fatalf("error = %+v; want code %q", got.Error, CodeTimeout)
			}
			want := []api.StepStatus{api.StepUndone, api.StepUndone, api.StepSkipped}
			if diff := cmp.Diff(want, statuses(got)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if h.rec.count("undo:1") != 1 || h.rec.count("undo:0") != 1 || h.rec.count("undo:2") != 0 {
				t.Errorf("calls = %v; want steps 1 and 0 undone once, step 2 never", h.rec.list())
			}
		})
	}
}
