package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
)

func TestRolloutStartAndSummary(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	ctx := context.Background()
	var s api.RolloutSummary
	if err := e.admin.Do(ctx, http.MethodPost, "/v1/rollouts", nil, api.Rollout{Hostgroup: "web", Canary: 1, Batch: 20, MaxFailures: 5}, &s); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Rollout.Hosts, []string{"web-1"}) || s.Rollout.ImageSet != "base" || s.State != "running" {
		t.Fatalf("summary %+v", s)
	}
	var got api.RolloutSummary
	if err := e.admin.Do(ctx, http.MethodGet, "/v1/rollouts/"+string(s.Rollout.ID), nil, nil, &got); err != nil || got.Rollout.ID != s.Rollout.ID {
		t.Fatalf("get %+v: %v", got, err)
	}
	if err := e.admin.Do(ctx, http.MethodGet, "/v1/rollouts/nope", nil, nil, nil); client.StatusOf(err) != http.StatusNotFound {
		t.Errorf("unknown rollout: %v, want 404", err)
	}
	err := e.admin.Do(ctx, http.MethodPost, "/v1/rollouts", nil, api.Rollout{Hostgroup: "nope", Batch: 1}, nil)
	if client.StatusOf(err) != 422 {
		t.Errorf("unknown hostgroup: %v, want 422", err)
	}
}
