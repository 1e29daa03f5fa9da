package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
)

func TestDryRunTouchesNothing(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	ctx := context.Background()
	before, err := e.admin.Hosts().Get(ctx, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	auditBefore, _ := e.admin.Audit(ctx, 1000, "")
	res, err := e.admin.Deploy(ctx, api.DeployRequest{Hosts: []string{"web-1"}, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || len(res.Deployments) != 1 || len(res.Deployments[0].Steps) == 0 {
		t.Fatalf("dry run answer: %+v", res)
	}
	for _, s := range res.Deployments[0].Steps {
		if s.Status != api.StepPending || len(s.Params) == 0 && s.Name == "validate" {
			t.Errorf("planned step %s: status %s params %s", s.Name, s.Status, s.Params)
		}
	}
	deps, err := e.admin.Deployments().All(ctx, nil)
	if err != nil || len(deps) != 0 {
		t.Errorf("deployments after a dry run: %d (%v), want 0", len(deps), err)
	}
	after, _ := e.admin.Hosts().Get(ctx, "web-1")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("host changed by a dry run (-before +after):\n%s", diff)
	}
	auditAfter, _ := e.admin.Audit(ctx, 1000, "")
	if len(auditAfter.Items) != len(auditBefore.Items) {
		t.Errorf("a dry run wrote %d audit entries", len(auditAfter.Items)-len(auditBefore.Items))
	}
}

func TestRevokedTokenStopsAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, err := e.admin.Tokens().Create(ctx, api.Token{Name: "ops", Scopes: []string{"host:read"}})
	if err != nil {
		t.Fatal(err)
	}
	ops := e.admin.WithToken(tok.Secret)
	if _, err := ops.Hosts().All(ctx, nil); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	if err := e.admin.Tokens().Delete(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Hosts().All(ctx, nil); status(err) != http.StatusUnauthorized {
		t.Fatalf("revoked token: %v, want 401", err)
	}
}
