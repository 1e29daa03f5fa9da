package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/internal/pgtest"
)

// TestCrashResumesAndFailureCompensates kills `ingot serve` with SIGKILL
// while two deployments wait for their installers, restarts it, and checks
// that one resumes to success and the other, failing, is compensated in
// reverse order, with no step run twice. On SQLite and on PostgreSQL.
func TestCrashResumesAndFailureCompensates(t *testing.T) {
	stores := map[string]func(t *testing.T) []string{
		"sqlite":     func(*testing.T) []string { return nil },
		"postgresql": func(t *testing.T) []string { return []string{"--database", pgtest.Start(t), "--lease-ttl", "1s"} },
	}
	for name, flags := range stores {
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			extra := flags(t)
			p := startServer(t, data, extra...)
			c := adminClient(t, p, data)
			ctx := context.Background()
			seed(t, c)
			res, err := c.Deploy(ctx, api.DeployRequest{Hosts: []string{"ok-1", "bad-1"}})
			if err != nil {
				t.Fatal(err)
			}
			okID, badID := res.Deployments[0].ID, res.Deployments[1].ID
			waitStep(t, c, okID, "wait-installer", api.StepWaiting)
			waitStep(t, c, badID, "wait-installer", api.StepWaiting)

			p.kill(syscall.SIGKILL)
			p = startServer(t, data, extra...)
			c = adminClient(t, p, data)

			mustOK(t, c.Signal(ctx, okID, api.Signal{Name: "installer.done"}))
			mustOK(t, c.Signal(ctx, badID, api.Signal{Name: "installer.failed", Data: api.RawJSON(`{"message":"disk /dev/sda not found","hint":"check the layout's disk selector"}`)}))
			waitStep(t, c, okID, "wait-firstboot", api.StepWaiting)
			mustOK(t, c.Signal(ctx, okID, api.Signal{Name: "firstboot"}))

			ok := waitState(t, c, okID, api.DeploymentSucceeded)
			bad := waitState(t, c, badID, api.DeploymentFailed)
			checkRanOnce(t, c, ok)
			checkCompensated(t, c, bad)
			if bad.Error == nil || !strings.Contains(bad.Error.Message, "disk /dev/sda not found") || bad.Error.Hint == "" {
				t.Errorf("failed deployment's error: %+v, want the installer's message and hint", bad.Error)
			}
			h := must1(c.Hosts().Get(ctx, "bad-1"))
			// The installer reported: its disk is in an unknown state, so the
			// host stays on the installer for a retry.
			if h.Boot != api.BootInstaller || h.State != api.HostFailed {
				t.Errorf("bad-1 after compensation: boot %s state %s, want installer failed", h.Boot, h.State)
			}
			if h := must1(c.Hosts().Get(ctx, "ok-1")); h.State != api.HostDeployed || h.Boot != api.BootLocal {
				t.Errorf("ok-1: boot %s state %s, want local deployed", h.Boot, h.State)
			}
		})
	}
}

func seed(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := context.Background()
	img := registerZeroImage(t, c, "debian")
	mustOK(t, second(c.ImageSets().Create(ctx, api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: img}}})))
	mustOK(t, second(c.Hostgroups().Create(ctx, api.Hostgroup{Name: "rack-1", ImageSet: "base"})))
	for i, n := range []string{"ok-1", "bad-1"} {
		m, _ := api.ParseMAC(fmt.Sprintf("52:54:00:00:01:%02x", i))
		mustOK(t, second(c.Hosts().Create(ctx, api.Host{Name: n, Hostgroup: "rack-1", MACs: []api.MAC{m}})))
	}
}

// checkRanOnce: every step started once and succeeded once, in order; the
// restart shows no step.started or step.succeeded twice.
func checkRanOnce(t *testing.T, c *client.Client, d api.Deployment) {
	t.Helper()
	evs := must1(c.Events(context.Background(), d.ID, 0))
	started, succeeded := map[int]int{}, map[int]int{}
	var order []int
	for _, e := range evs {
		switch e.Type {
		case "step.started":
			started[e.Step]++
		case "step.succeeded":
			succeeded[e.Step]++
			order = append(order, e.Step)
		}
	}
	for i := range d.Steps {
		if started[i] != 1 || succeeded[i] != 1 {
			t.Errorf("step %d %s: started %d, succeeded %d times; want once each", i, d.Steps[i].Name, started[i], succeeded[i])
		}
	}
	if !slices.IsSorted(order) {
		t.Errorf("steps succeeded out of order: %v", order)
	}
}

// checkCompensated: the failed step and the ones done before it were
// undone in reverse order; the steps after it were skipped.
func checkCompensated(t *testing.T, c *client.Client, d api.Deployment) {
	t.Helper()
	evs := must1(c.Events(context.Background(), d.ID, 0))
	var undone []int
	for _, e := range evs {
		if e.Type == "step.undone" {
			undone = append(undone, e.Step)
		}
	}
	failed := slices.IndexFunc(d.Steps, func(s api.Step) bool { return s.Error != nil && s.Status != api.StepSkipped })
	var want []int
	for i := failed; i >= 0; i-- {
		want = append(want, i)
	}
	if failed < 0 || !slices.Equal(undone, want) {
		t.Errorf("undone steps %v, want %v (failed step %d)", undone, want, failed)
	}
	for i, s := range d.Steps[failed+1:] {
		if s.Status != api.StepSkipped {
			t.Errorf("step %d %s after the failure is %s, want skipped", failed+1+i, s.Name, s.Status)
		}
	}
}

func waitStep(t *testing.T, c *client.Client, id api.DeploymentID, name string, status api.StepStatus) {
	t.Helper()
	poll(t, fmt.Sprintf("%s step %s %s", id, name, status), func() bool {
		d, err := c.Deployments().Get(context.Background(), string(id))
		return err == nil && slices.ContainsFunc(d.Steps, func(s api.Step) bool { return s.Name == name && s.Status == status })
	})
}

func waitState(t *testing.T, c *client.Client, id api.DeploymentID, state api.DeploymentState) api.Deployment {
	t.Helper()
	var d api.Deployment
	poll(t, fmt.Sprintf("%s %s", id, state), func() bool {
		var err error
		d, err = c.Deployments().Get(context.Background(), string(id))
		return err == nil && d.State == state
	})
	return d
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// registerZeroImage registers a real image of an all-zero 4 MiB disk (no
// chunk to upload) and returns its ID.
func registerZeroImage(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	img, err := c.RegisterImage(context.Background(), client.ZeroManifest(name, api.ArchAMD64, api.FirmwareUEFI, 4<<20))
	mustOK(t, err)
	return img.ID
}

func second[T any](_ T, err error) error { return err }

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
