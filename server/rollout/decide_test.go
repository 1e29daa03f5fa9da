package rollout

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
)

func TestDecide(t *testing.T) {
	r := api.Rollout{Hosts: []string{"a", "b", "c", "d", "e", "f"}, Canary: 2, Batch: 2, MaxFailures: 20}
	dep := func(s api.DeploymentState) api.Deployment { return api.Deployment{State: s} }
	ok, run, bad := dep(api.DeploymentSucceeded), dep(api.DeploymentRunning), dep(api.DeploymentFailed)
	for _, tc := range []struct {
		name string
		ds   map[string]api.Deployment
		want pass
	}{
		{name: "canaries first", ds: nil, want: pass{start: []string{"a", "b"}}},
		{name: "resume a half-started canary phase", ds: map[string]api.Deployment{"a": run}, want: pass{start: []string{"b"}}},
		{name: "canaries running", ds: map[string]api.Deployment{"a": ok, "b": run}},
		{name: "first batch", ds: map[string]api.Deployment{"a": ok, "b": ok}, want: pass{start: []string{"c", "d"}}},
		{name: "batch waits for the previous one", ds: map[string]api.Deployment{"a": ok, "b": ok, "c": ok, "d": run}},
		{name: "a failure under the threshold goes on", ds: map[string]api.Deployment{"a": ok, "b": ok, "c": bad, "d": ok}, want: pass{start: []string{"e", "f"}}},
		{name: "failed canary stops", ds: map[string]api.Deployment{"a": bad, "b": run}, want: pass{stopped: true}},
		{name: "stopped and drained", ds: map[string]api.Deployment{"a": bad, "b": ok}, want: pass{stopped: true, finished: true}},
		{name: "threshold crossed", ds: map[string]api.Deployment{"a": ok, "b": ok, "c": bad, "d": bad}, want: pass{stopped: true, finished: true}},
		{name: "done", ds: map[string]api.Deployment{"a": ok, "b": ok, "c": ok, "d": ok, "e": ok, "f": bad}, want: pass{finished: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decide(r, tc.ds)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(pass{})); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
		})
	}
}
