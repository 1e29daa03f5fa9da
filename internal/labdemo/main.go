// Command labdemo is `make demo`: it takes one virtual machine through a
// whole deployment on the lab network (PXE → installer → Debian image →
// first boot phone-home) with a real `ingot serve`, printing the steps live,
// and ends by saying where the machine's console log is.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/e2e"
	"ingot.dev/ingot/internal/lab"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	if m := lab.Missing("debootstrap", "mkfs.ext4"); m != "" {
		return fmt.Errorf("the VM demo needs root, qemu and debootstrap (%s); run .ci/run's apt-get line first, or scripts/demo for the API-only demo", m)
	}
	repo, err := e2e.Repo()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "ingot-demo-")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	a, err := e2e.Build(ctx, repo, work, out)
	if err != nil {
		return err
	}
	l, err := e2e.Start(ctx, a, work)
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(out, "ingot serve on %s (lab network %s in namespace %s)\n", l.URL, l.Net.Subnet, l.Net.NS)
	return deploy(ctx, out, l)
}

func deploy(ctx context.Context, out io.Writer, l *e2e.Lab) error {
	mac := net.HardwareAddr{0x52, 0x54, 0x00, 0xde, 0x30, 0x01}
	h := api.Host{Name: "demo-1", Hostgroup: "lab", MACs: []api.MAC{{HardwareAddr: mac}}, Values: api.HostValues{Hostname: "demo-1"}}
	if _, err := l.Client.Hosts().Create(ctx, h); err != nil {
		return err
	}
	res, err := l.Client.Deploy(ctx, api.DeployRequest{Hosts: []string{"demo-1"}, Timeout: "30m"})
	if err != nil {
		return err
	}
	d := res.Deployments[0]
	vm, err := l.VM(ctx, "demo-1", lab.BIOS, mac, 3<<30)
	if err != nil {
		return err
	}
	defer vm.Stop()
	start := time.Now()
	fmt.Fprintf(out, "deployment %s: powered on VM demo-1 (%s); following its steps\n", d.ID, mac)
	err = l.Client.Follow(ctx, d.ID, 0, func(e api.Event) error {
		step := "-"
		if e.Step >= 0 && e.Step < len(d.Steps) {
			step = d.Steps[e.Step].Name
		}
		msg := e.Message
		var p api.Progress
		if e.Type == "step.progress" && json.Unmarshal(e.Data, &p) == nil && p.Total > 0 {
			msg = fmt.Sprintf("%d%% (%d of %d MiB)", 100*p.Bytes/p.Total, p.Bytes>>20, p.Total>>20)
		}
		fmt.Fprintf(out, "%6.1fs  %-16s %s %s\n", time.Since(start).Seconds(), step, e.Type, msg)
		return nil
	})
	if err != nil {
		return err
	}
	final, err := l.Client.Deployments().Get(ctx, string(d.ID))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\ndeployment %s %s after %v\n", d.ID, final.State, time.Since(start).Round(time.Second))
	fmt.Fprintf(out, "the deployed machine's console log: %s\nserver log: %s\n", vm.Console.Path, l.Log.Name())
	if final.State != api.DeploymentSucceeded {
		return fmt.Errorf("deployment ended %s: %v", final.State, final.Error)
	}
	return nil
}
