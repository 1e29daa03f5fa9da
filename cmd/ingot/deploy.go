package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/steps"
)

func newDeployCommand(app *App) *cobra.Command {
	var req api.DeployRequest
	var wait bool
	cmd := &cobra.Command{Use: "deploy HOST... [--dry-run] [--wait]", Short: "deploy hosts: plan, boot, install, first boot", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Hosts = args
			res, err := app.client().Deploy(cmd.Context(), req)
			if err != nil {
				return err
			}
			if app.Output != "table" {
				return printValue(app, res)
			}
			if req.DryRun {
				printPlans(app.Out, res.Deployments)
				return nil
			}
			for _, d := range res.Deployments {
				fmt.Fprintf(app.Out, "deployment %s: host %s, %d steps\n", d.ID, d.Host, len(d.Steps))
			}
			if !wait {
				return nil
			}
			return watch(cmd.Context(), app, res.Deployments)
		}}
	f := cmd.Flags()
	f.BoolVar(&req.DryRun, "dry-run", false, "show the planned steps and their parameters; change nothing")
	f.BoolVar(&wait, "wait", false, "follow the deployments live until they end")
	f.StringVar(&req.Timeout, "timeout", "", "deadline per deployment, e.g. 90m (default 2h)")
	return cmd
}

func printPlans(w io.Writer, ds []api.Deployment) {
	for _, d := range ds {
		fmt.Fprintf(w, "host %s (hostgroup %s, image set %s), deadline %s:\n", d.Host, d.Hostgroup, d.ImageSet, d.Deadline.Format(time.RFC3339))
		var storage []string
		for i, s := range d.Steps {
			params := s.Params
			if s.Name == steps.KindValidate {
				storage, params = splitStorage(params)
			}
			fmt.Fprintf(w, "  %d. %-16s %s\n", i+1, s.Name, compact(params))
		}
		if len(storage) > 0 {
			fmt.Fprintln(w, "  storage:")
			for _, l := range storage {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
}

// splitStorage takes the planned storage stack out of the validate step's
// params, to print it as a table of its own.
func splitStorage(raw json.RawMessage) ([]string, json.RawMessage) {
	var vp steps.ValidateParams
	if json.Unmarshal(raw, &vp) != nil || len(vp.Storage) == 0 {
		return nil, raw
	}
	lines := vp.Storage
	vp.Storage = nil
	b, err := json.Marshal(vp)
	if err != nil {
		return lines, raw
	}
	return lines, b
}

func compact(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// watch follows every deployment's event stream, printing one line per
// event, and fails if any deployment did not succeed.
func watch(ctx context.Context, app *App, ds []api.Deployment) error {
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	final := make([]api.Deployment, len(ds))
	for i, d := range ds {
		g.Go(func() error {
			err := app.client().Follow(ctx, d.ID, 0, func(e api.Event) error {
				mu.Lock()
				defer mu.Unlock()
				printEvent(app.Out, d, e)
				return nil
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			final[i], err = app.client().Deployments().Get(ctx, string(d.ID))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return summarize(app.Out, final)
}

func printEvent(w io.Writer, d api.Deployment, e api.Event) {
	step := "-"
	if e.Step >= 0 && e.Step < len(d.Steps) {
		step = fmt.Sprintf("[%d/%d] %s", e.Step+1, len(d.Steps), d.Steps[e.Step].Name)
	}
	line := fmt.Sprintf("%s %-12s %-28s %s", e.Time.Local().Format("15:04:05"), d.Host, step, e.Type)
	if e.Message != "" {
		line += ": " + e.Message
	}
	var p api.Progress
	if json.Unmarshal(e.Data, &p) == nil && p.Total > 0 {
		line += fmt.Sprintf(" %s", bar(p.Bytes, p.Total, 30))
	}
	fmt.Fprintln(w, line)
}

// bar renders a fixed-width progress bar with percentage and bytes.
func bar(done, total int64, width int) string {
	n := int(float64(width) * float64(done) / float64(total))
	n = min(max(n, 0), width)
	b := make([]byte, width)
	for i := range b {
		b[i] = '.'
		if i < n {
			b[i] = '#'
		}
	}
	return fmt.Sprintf("[%s] %3.0f%% %d/%d MiB", b, 100*float64(done)/float64(total), done>>20, total>>20)
}

func summarize(w io.Writer, ds []api.Deployment) error {
	ok, failed := 0, 0
	for _, d := range ds {
		if d.State == api.DeploymentSucceeded {
			ok++
			continue
		}
		failed++
		reason := string(d.State)
		if d.Error != nil {
			reason += ": " + d.Error.Error()
			if d.Error.Hint != "" {
				reason += " (" + d.Error.Hint + ")"
			}
		}
		fmt.Fprintf(w, "FAILED %s (%s): %s\n", d.Host, d.ID, reason)
	}
	fmt.Fprintf(w, "%d succeeded, %d failed\n", ok, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d deployments did not succeed", failed, len(ds))
	}
	return nil
}
