package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
)

// rawPost sends a raw body as the admin and returns status, content type
// and the decoded problem.
func (e *env) raw(method, path, body string) (int, string, api.Problem) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.adminSecret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p api.Problem
	_ = json.Unmarshal(b, &p)
	return resp.StatusCode, resp.Header.Get("Content-Type"), p
}

func TestBadInputIsAProblemNamingTheField(t *testing.T) {
	big := `{"name":"h","macs":[],"serial":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		location                 string
	}{
		{"unknown field", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":[],"colour":"red"}`, 422, "body.colour"},
		{"unknown field wrong case", "POST", "/v1/hosts", `{"Name":"web-9","hostgroup":"web","macs":[]}`, 422, "body"},
		{"wrong type", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":"52:54:00:00:00:09"}`, 422, "body.macs"},
		{"invalid MAC", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":["52:54:00:zz:00:09"]}`, 422, "body.macs[0]"},
		{"MAC of another host", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":["52:54:00:00:00:09","52:54:00:00:00:01"]}`, 409, "body.macs[1]"},
		{"MAC twice in one host", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":["52:54:00:00:00:09","52:54:00:00:00:09"]}`, 422, "body.macs[1]"},
		{"locked field", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":[],"values":{"password_hash":"$6$x$y"}}`, 422, "body.values.password_hash"},
		{"pattern violated", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":[],"values":{"hostname":"db-1"}}`, 422, "body.values.hostname"},
		{"too many keys", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":[],"values":{"ssh_keys":["a","b","c"]}}`, 422, "body.values.ssh_keys"},
		{"unknown hostgroup", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"nope","macs":[]}`, 422, "body.hostgroup"},
		{"unknown BMC credential", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":[],"bmc":{"endpoint":"https://10.0.0.9","credential":"nope"}}`, 422, "body.bmc.credential"},
		{"bad BMC URL", "POST", "/v1/hosts", `{"name":"web-9","hostgroup":"web","macs":[],"bmc":{"endpoint":"not a url"}}`, 422, "body.bmc.endpoint"},
		{"bad name", "POST", "/v1/hosts", `{"name":"Web 9!","macs":[]}`, 422, "body.name"},
		{"oversized body", "POST", "/v1/hosts", big, 413, ""},
		{"not JSON", "POST", "/v1/hosts", `{"name":`, 400, ""},
		{"deploy unknown host", "POST", "/v1/deployments", `{"hosts":["nope"]}`, 422, "body.hosts[0]"},
		{"deploy bad timeout", "POST", "/v1/deployments", `{"hosts":["web-1"],"timeout":"soon"}`, 422, "body.timeout"},
		{"bad scope", "POST", "/v1/tokens", `{"name":"x","scopes":["root"]}`, 422, "body.scopes[0]"},
		{"bad template regex", "POST", "/v1/hostgroups", `{"name":"g2","image_set":"base","template":{"hostname":{"allowed":true,"pattern":"("}}}`, 422, "body.template.hostname.pattern"},
		{"renaming", "PUT", "/v1/hosts/web-1", `{"name":"web-7","hostgroup":"web","macs":[]}`, 422, "body.name"},
	}
	e := newEnv(t)
	e.fixtures()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, p := e.raw(tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%+v)", status, tt.status, p)
			}
			if ctype != "application/problem+json" {
				t.Errorf("content type %q, want application/problem+json", ctype)
			}
			if p.Title == "" && p.Detail == "" {
				t.Errorf("problem has no message: %+v", p)
			}
			if tt.location == "" {
				return
			}
			var locs []string
			for _, d := range p.Errors {
				locs = append(locs, d.Location)
				if d.Location == tt.location || strings.HasPrefix(d.Location, tt.location) {
					return
				}
			}
			t.Errorf("no error at %s; got %v (%s)", tt.location, locs, p.Error())
		})
	}
	// Nothing half-written: web-9 never came to be, and web-1 still owns its MAC.
	if _, err := e.admin.Hosts().Get(context.Background(), "web-9"); status(err) != 404 {
		t.Errorf("web-9 exists after refused requests: %v", err)
	}
	h, err := e.store.GetHostByMAC(context.Background(), mac("52:54:00:00:00:01"))
	if err != nil || h.Name != "web-1" {
		t.Errorf("MAC owner: %v %v", h.Name, err)
	}
	if _, err := e.store.GetHostByMAC(context.Background(), mac("52:54:00:00:00:09")); err == nil {
		t.Errorf("a refused host's MAC was stored")
	}
}
