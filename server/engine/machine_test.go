package engine

import (
	"testing"

	"ingot.dev/ingot/api"
)

func TestNext(t *testing.T) {
	states := []api.DeploymentState{
		api.DeploymentPending, api.DeploymentRunning, api.DeploymentCompensating,
		api.DeploymentSucceeded, api.DeploymentFailed, api.DeploymentCancelled,
	}
	events := []Event{Start, Finish, Fail, Cancel, Timeout, Compensated}
	allowed := map[transition]api.DeploymentState{
		{api.DeploymentPending, Start}:            api.DeploymentRunning,
		{api.DeploymentPending, Cancel}:           api.DeploymentCancelled,
		{api.DeploymentRunning, Finish}:           api.DeploymentSucceeded,
		{api.DeploymentRunning, Fail}:             api.DeploymentCompensating,
		{api.DeploymentRunning, Timeout}:          api.DeploymentCompensating,
		{api.DeploymentRunning, Cancel}:           api.DeploymentCompensating,
		{api.DeploymentCompensating, Compensated}: api.DeploymentFailed,
	}
	// Every pair of state and event: the allowed ones move, the rest are refused.
	for _, s := range states {
		for _, e := range events {
			want, ok := allowed[transition{s, e}]
			t.Run(string(s)+"+"+string(e), func(t *testing.T) {
				got, err := Next(s, e)
				if !ok {
					if err == nil {
						t.Fatalf("Next(%s, %s) = %s; want an error", s, e, got)
					}
					return
				}
				if err != nil || got != want {
					t.Fatalf("Next(%s, %s) = %s, %v; want %s", s, e, got, err, want)
				}
			})
		}
	}
}

func TestNextFor(t *testing.T) {
	tests := []struct {
		name    string
		d       api.Deployment
		e       Event
		want    api.DeploymentState
		wantErr bool
	}{
		{
			name: "compensated after a failure",
			d:    api.Deployment{State: api.DeploymentCompensating, Error: &api.StepError{Code: "installer"}},
			e:    Compensated, want: api.DeploymentFailed,
		},
		{
			name: "compensated after a cancel",
			d:    api.Deployment{State: api.DeploymentCompensating, Error: &api.StepError{Code: CodeCancelled}},
			e:    Compensated, want: api.DeploymentCancelled,
		},
		{
			name: "compensated with no recorded cause",
			d:    api.Deployment{State: api.DeploymentCompensating},
			e:    Compensated, want: api.DeploymentFailed,
		},
		{
			name: "cancel cause does not change other transitions",
			d:    api.Deployment{State: api.DeploymentRunning, Error: &api.StepError{Code: CodeCancelled}},
			e:    Cancel, want: api.DeploymentCompensating,
		},
		{
			name: "refused",
			d:    api.Deployment{State: api.DeploymentSucceeded},
			e:    Start, wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextFor(tt.d, tt.e)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("NextFor = %q, %v; want %q, error %t", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
