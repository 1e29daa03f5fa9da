package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store/sqlstore"
)

// openSQLite opens a fresh SQLite store with host h1 in it.
func openSQLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mac, _ := api.ParseMAC("52:54:00:12:34:56")
	if _, err := st.CreateHost(t.Context(), api.Host{Name: "h1", MACs: []api.MAC{mac}}); err != nil {
		t.Fatal(err)
	}
	return st
}

func sqlEvents(t *testing.T, st *sqlstore.Store, id api.DeploymentID) []string {
	t.Helper()
	evs, err := st.Events(t.Context(), id, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%d %s", e.Step, e.Type))
	}
	return out
}

// The failure and compensation scenario against a real SQLite store: the
// engine's view of the store contract matches the real one.
func TestCompensationOnSQLite(t *testing.T) {
	ctx := t.Context()
	st := openSQLite(t)
	d := dep("dep_sql1", testParams{}, testParams{Signal: "go"}, testParams{Fail: true}, testParams{})
	if err := st.CreateDeployments(ctx, []api.Deployment{d}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	eng := runEngine(t, testConfig(), st, rec)

	waitFor(t, "step 1 waiting", func() bool {
		got, err := st.GetDeployment(ctx, d.ID)
		return err == nil && got.Steps[1].Status == api.StepWaiting
	})
	if err := st.AddSignal(ctx, d.ID, api.Signal{Name: "go"}); err != nil {
		t.Fatal(err)
	}
	eng.Wake()
	var got api.Deployment
	waitFor(t, "deployment failed", func() bool {
		got, _ = st.GetDeployment(ctx, d.ID)
		return got.State == api.DeploymentFailed
	})

	wantStatus := []api.StepStatus{api.StepUndone, api.StepUndone, api.StepUndone, api.StepSkipped}
	if diff := cmp.Diff(wantStatus, statuses(got)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if got.Error == nil || got.Error.Code != "test" || got.Steps[2].Error == nil {
		t.Errorf("error = %+v, step 2 error = %+v; want the step's failure on both", got.Error, got.Steps[2].Error)
	}
	calls := rec.list()
	if diff := cmp.Diff([]string{"undo:2", "undo:1", "undo:0"}, calls[len(calls)-3:]); diff != "" {
		t.Errorf("undo order (-want +got):\n%s", diff)
	}
	want := []string{
		"-1 deployment.created", "-1 deployment.started",
		"0 step.started", "0 step.succeeded",
		"1 step.started", "1 step.waiting", "1 step.succeeded",
		"2 step.started", "2 step.failed",
		"3 step.skipped", "-1 deployment.compensating",
		"2 step.undoing", "2 step.undone",
		"1 step.undoing", "1 step.undone",
		"0 step.undoing", "0 step.undone",
		"-1 deployment.failed",
	}
	if diff := cmp.Diff(want, sqlEvents(t, st, d.ID)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
