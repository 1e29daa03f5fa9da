package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
)

func TestOperationalEndpoints(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	for path, want := range map[string]string{
		"/healthz":      "ok",
		"/readyz":       "ok",
		"/metrics":      "ingot_http_requests_total",
		"/openapi.json": `"openapi":"3.1.0"`,
	} {
		resp, err := http.Get(p.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(p.url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct{ Paths map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/hosts", "/v1/hosts/{name}", "/v1/deployments", "/v1/deployments/{id}/events/stream", "/v1/imagesets", "/v1/hostgroups", "/v1/tokens",
		"/v1/builds", "/v1/builds/{id}/log/stream", "/v1/builds/{id}/cancel", "/v1/imagesets/{name}/check", "/v1/hosts/{name}/image"} {
		if doc.Paths[path] == nil {
			t.Errorf("OpenAPI document lacks %s", path)
		}
	}
}

// TestDeployWaitFollowsLive runs `ingot deploy --wait` through run() while
// the installer and first boot report, and reads the live output.
func TestDeployWaitFollowsLive(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	c := adminClient(t, p, data)
	seed(t, c)
	token, _ := os.ReadFile(filepath.Join(data, "admin.token.txt"))
	t.Setenv("INGOT_SERVER", p.url)
	t.Setenv("INGOT_TOKEN", strings.TrimSpace(string(token)))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"deploy", "ok-1", "--wait"}, nil, &out, &out) }()
	deps, err := c.Deployments().All(ctx, map[string][]string{"host": {"ok-1"}})
	for err == nil && len(deps) == 0 {
		time.Sleep(50 * time.Millisecond)
		deps, err = c.Deployments().All(ctx, map[string][]string{"host": {"ok-1"}})
	}
	if err != nil {
		t.Fatal(err)
	}
	id := deps[0].ID
	waitStep(t, c, id, "wait-installer", api.StepWaiting)
	mustOK(t, c.Signal(ctx, id, api.Signal{Name: "installer.progress", Data: api.RawJSON(`{"bytes":1073741824,"total":2147483648}`)}))
	mustOK(t, c.Signal(ctx, id, api.Signal{Name: "installer.done"}))
	waitStep(t, c, id, "wait-firstboot", api.StepWaiting)
	mustOK(t, c.Signal(ctx, id, api.Signal{Name: "firstboot"}))
	if err := <-done; err != nil {
		t.Fatalf("deploy --wait: %v\n%s", err, out.String())
	}
	for _, want := range []string{"[4/7] wait-installer", "step.progress", "50%", "deployment.succeeded", "1 succeeded, 0 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("live output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestCredentialsStayEncrypted stores a BMC password through the CLI and
// checks it is neither returned nor stored in plain text.
func TestCredentialsStayEncrypted(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	token, _ := os.ReadFile(filepath.Join(data, "admin.token.txt"))
	args := []string{"--server", p.url, "--token", strings.TrimSpace(string(token))}
	const password = "pa55-w0rd-very-secret"
	in := strings.NewReader("name: bmc-rack1\nusername: root\npassword: " + password + "\n")
	var out bytes.Buffer
	if err := run(context.Background(), append(args, "credential", "create", "-f", "-"), in, &out, &out); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if err := run(context.Background(), append(args, "credential", "list", "-o", "json"), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), password) || !strings.Contains(out.String(), "bmc-rack1") {
		t.Errorf("credential output shows the password or lacks the credential:\n%s", out.String())
	}
	p.kill(15)
	files, _ := filepath.Glob(filepath.Join(data, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("%s holds the password in plain text", f)
		}
	}
}
