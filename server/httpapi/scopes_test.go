package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/installer/kit"
)

// route is one mutating call, the scopes that allow it, and a body.
type route struct {
	name   string
	method string
	path   string
	body   any
	scopes []string // all needed; each one alone is not enough if several
}

// prepare makes the fixtures some routes need, and their bodies.
var prepare = map[string]func(e *env) any{
	"create kit": func(e *env) any {
		e.kitFixtures()
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		return api.KitRequest{Hosts: []string{"site-1"}, KitKey: kit.FormatKey(pub)}
	},
	"import kit report": func(e *env) any {
		e.kitFixtures()
		k := e.newKit(e.admin)
		return k.report(e.t, k.kitKey, nil)
	},
}

func mutatingRoutes() []route {
	return []route{
		{"create image", "POST", "/v1/images", map[string]any{"manifest": zeroManifest("zero")}, []string{"admin"}},
		{"create imageset", "POST", "/v1/imagesets", api.ImageSet{Name: "set2", Variants: []api.Variant{}}, []string{"imageset:manage:set2"}},
		{"update imageset", "PUT", "/v1/imagesets/base", api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: "amd64", Firmware: "uefi", Image: imgA}}}, []string{"imageset:manage:base"}},
		{"create hostgroup", "POST", "/v1/hostgroups", api.Hostgroup{Name: "db", ImageSet: "base"}, []string{"hostgroup:manage:db", "imageset:deploy:base"}},
		{"update hostgroup", "PUT", "/v1/hostgroups/web", api.Hostgroup{Name: "web", ImageSet: "base", Template: api.Template{Hostname: api.StringRule{Allowed: true}}}, []string{"hostgroup:manage:web", "imageset:deploy:base"}},
		{"create host", "POST", "/v1/hosts", api.Host{Name: "web-2", Hostgroup: "web", MACs: []api.MAC{mac("52:54:00:00:00:02")}}, []string{"hostgroup:manage:web"}},
		{"update host", "PUT", "/v1/hosts/web-1", api.Host{Name: "web-1", Hostgroup: "web", MACs: []api.MAC{mac("52:54:00:00:00:01")}, Values: api.HostValues{Hostname: "web-1"}}, []string{"hostgroup:manage:web"}},
		{"materialize host image", "POST", "/v1/hosts/web-1/image", map[string]any{}, []string{"hostgroup:deploy:web", "imageset:deploy:base"}},
		{"deploy", "POST", "/v1/deployments", api.DeployRequest{Hosts: []string{"web-1"}, DryRun: true}, []string{"hostgroup:deploy:web", "imageset:deploy:base"}},
		{"probe bmc", "POST", "/v1/hosts/web-1/bmc/probe", api.BMCProbeRequest{}, []string{"hostgroup:manage:web"}},
		{"import hosts", "POST", "/v1/hosts/import", api.HostImportRequest{Redfish: []string{"https://bmc-1.example"}, Hostgroup: "web"}, []string{"hostgroup:manage:web"}},
		{"mint host media", "POST", "/v1/hosts/web-1/media", nil, []string{"hostgroup:deploy:web"}},
		{"start rollout", "POST", "/v1/rollouts", api.Rollout{Hostgroup: "web", Canary: 1, Batch: 10, MaxFailures: 5}, []string{"hostgroup:deploy:web", "imageset:deploy:base"}},
		{"create token", "POST", "/v1/tokens", api.Token{Name: "ops", Scopes: []string{"host:read"}}, []string{"admin"}},
		{"put credential", "PUT", "/v1/credentials/bmc", api.Credential{Name: "bmc", Username: "root", Password: "calvin"}, []string{"admin"}},
		{"delete credential", "DELETE", "/v1/credentials/nothing", nil, []string{"admin"}},
		{"delete host", "DELETE", "/v1/hosts/web-1", nil, []string{"hostgroup:manage:web"}},
		{"delete hostgroup", "DELETE", "/v1/hostgroups/empty", nil, []string{"hostgroup:manage:empty"}},
		{"check imageset", "POST", "/v1/imagesets/base/check", nil, []string{"imageset:manage:base"}},
		{"delete imageset", "DELETE", "/v1/imagesets/unused", nil, []string{"imageset:manage:unused"}},
		{"delete image", "DELETE", "/v1/images/" + imgC, nil, []string{"admin"}},
		{"delete token", "DELETE", "/v1/tokens/none", nil, []string{"admin"}},
		{"submit build", "POST", "/v1/builds", api.BuildRequest{Recipe: api.RawJSON(`{"name":"deb","backend":"import","file":"deb.raw"}`), ImageSet: "base"}, []string{"image:build", "imageset:manage:base"}},
		{"submit build into the recipe's set", "POST", "/v1/builds", api.BuildRequest{Recipe: api.RawJSON(`{"name":"deb","backend":"import","file":"deb.raw"}`)}, []string{"image:build", "imageset:manage:deb"}},
		{"cancel build", "POST", "/v1/builds/" + fixtureBuild + "/cancel", nil, []string{"image:build", "imageset:manage:base"}},
		{"create kit", "POST", "/v1/kits", nil, []string{"hostgroup:deploy:site", "imageset:deploy:kset"}},
		{"import kit report", "POST", "/v1/kits/reports", nil, []string{"hostgroup:deploy:site"}},
	}
}

// TestMutatingRoutesNeedTheirScopes checks each mutating route: refused
// without a token (401), refused with every needed scope but one (403
// naming the missing one), accepted with its scopes, accepted for admin.
func TestMutatingRoutesNeedTheirScopes(t *testing.T) {
	for _, r := range mutatingRoutes() {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			e.fixtures()
			ctx := context.Background()
			must(t)(e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "empty", ImageSet: "base"}))
			must(t)(e.admin.ImageSets().Create(ctx, api.ImageSet{Name: "unused", Variants: []api.Variant{}}))
			e.queuedBuild(fixtureBuild, "base")
			if p := prepare[r.name]; p != nil {
				r.body = p(e)
			}
			if got := status(client.New(e.url, "").Do(ctx, r.method, r.path, nil, r.body, nil)); got != http.StatusUnauthorized {
				t.Errorf("without token: status %d, want 401", got)
			}
			for i, missing := range r.scopes {
				others := append(append([]string{"host:read"}, r.scopes[:i]...), r.scopes[i+1:]...)
				err := e.token(others...).Do(ctx, r.method, r.path, nil, r.body, nil)
				if got := status(err); got != http.StatusForbidden || !strings.Contains(err.Error(), missing) {
					t.Errorf("without %s: status %d (%v), want 403 naming the scope", missing, got, err)
				}
			}
			err := e.token(r.scopes...).Do(ctx, r.method, r.path, nil, r.body, nil)
			if r.method == "DELETE" && status(err) == http.StatusNotFound {
				err = nil // authorised; the object just is not there
			}
			if err != nil {
				t.Fatalf("with %v: %v", r.scopes, err)
			}
		})
	}
}

func TestGlobScopes(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	ctx := context.Background()
	c := e.token("hostgroup:deploy:we*", "imageset:deploy:*")
	if _, err := c.Deploy(ctx, api.DeployRequest{Hosts: []string{"web-1"}, DryRun: true}); err != nil {
		t.Fatalf("glob scopes should allow: %v", err)
	}
	c = e.token("hostgroup:deploy:db-*", "imageset:deploy:*")
	if _, err := c.Deploy(ctx, api.DeployRequest{Hosts: []string{"web-1"}, DryRun: true}); status(err) != http.StatusForbidden {
		t.Fatalf("glob for another group: %v, want 403", err)
	}
}

func TestMutationsAreAudited(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	p, err := e.admin.Audit(context.Background(), 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Items {
		got = append(got, fmt.Sprintf("%s %s %s %d", a.Actor, a.Method, a.Path, a.Status))
	}
	want := []string{ // newest first
		"t-admin POST /v1/hosts 201",
		"t-admin POST /v1/hostgroups 201",
		"t-admin POST /v1/imagesets 201",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func status(err error) int {
	if err == nil {
		return 200
	}
	return client.StatusOf(err)
}
