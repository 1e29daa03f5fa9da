package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
)

// TestRolloutThroughTheServer starts a rollout with the CLI against a real
// `ingot serve`, plays the installers with signals, and follows it to done.
func TestRolloutThroughTheServer(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	c := adminClient(t, p, data)
	seed(t, c) // hostgroup rack-1 with ok-1 and bad-1
	args := []string{"--server", p.url, "--token", tokenOf(t, data)}
	var out bytes.Buffer
	if err := run(context.Background(), append(args, "rollout", "start", "--hostgroup", "rack-1", "--canary", "1", "--batch", "1", "--max-failures", "50%"), nil, &out, &out); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	var id string
	if _, err := fmt.Sscanf(out.String()[9:], "rollout %s", &id); err != nil || !strings.HasPrefix(id, "ro") {
		t.Fatalf("no rollout id in %q", out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go playInstallers(ctx, t, p.url, data)
	out.Reset()
	if err := run(ctx, append(args, "rollout", "get", id, "--wait"), nil, &out, &out); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if !strings.Contains(out.String(), "done; waiting 0, running 0, succeeded 2, failed 0") {
		t.Errorf("rollout did not end with both hosts deployed:\n%s", out.String())
	}
}

// playInstallers answers every waiting deployment as its installer and
// first boot would.
func playInstallers(ctx context.Context, t *testing.T, url, data string) {
	c := adminClient(t, &serverProc{url: url}, data)
	for ctx.Err() == nil {
		deps, _ := c.Deployments().All(ctx, nil)
		for _, d := range deps {
			for _, s := range d.Steps {
				switch {
				case s.Status != api.StepWaiting:
				case s.Name == "wait-installer":
					_ = c.Signal(ctx, d.ID, api.Signal{Name: "installer.done"})
				case s.Name == "wait-firstboot":
					_ = c.Signal(ctx, d.ID, api.Signal{Name: "firstboot"})
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
}
