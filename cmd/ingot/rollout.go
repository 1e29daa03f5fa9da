package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
)

func newRolloutCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "rollout", Short: "deploy a whole hostgroup in phases: canaries, batches, a failure threshold"}
	var r api.Rollout
	var maxFail string
	var wait bool
	start := &cobra.Command{Use: "start --hostgroup G [--batch 20] [--canary 2] [--max-failures 5%]", Short: "start a rollout", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pct, err := strconv.ParseFloat(strings.TrimSuffix(maxFail, "%"), 64)
			if err != nil {
				return fmt.Errorf("--max-failures %q: want a percentage like 5%%", maxFail)
			}
			r.MaxFailures = pct
			s, err := app.client().StartRollout(cmd.Context(), r)
			if err != nil {
				return err
			}
			return showRollout(cmd.Context(), app, s, wait)
		}}
	f := start.Flags()
	f.StringVar(&r.Hostgroup, "hostgroup", "", "the hostgroup to deploy")
	f.IntVar(&r.Batch, "batch", 20, "hosts per batch")
	f.IntVar(&r.Canary, "canary", 2, "hosts deployed first; all must succeed")
	f.StringVar(&maxFail, "max-failures", "5%", "stop starting hosts once more than this share failed")
	f.StringVar(&r.Timeout, "timeout", "", "deadline per deployment, e.g. 90m")
	f.BoolVar(&wait, "wait", false, "follow the rollout until it ends")
	get := &cobra.Command{Use: "get ID [--wait]", Short: "where a rollout stands", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := app.client().Rollout(cmd.Context(), api.RolloutID(args[0]))
			if err != nil {
				return err
			}
			return showRollout(cmd.Context(), app, s, wait)
		}}
	get.Flags().BoolVar(&wait, "wait", false, "follow the rollout until it ends")
	cmd.AddCommand(start, get)
	return cmd
}

// showRollout prints the summary, and with wait keeps printing it as it
// changes until the rollout is no longer running.
func showRollout(ctx context.Context, app *App, s api.RolloutSummary, wait bool) error {
	if app.Output != "table" {
		return printValue(app, s)
	}
	last := ""
	for {
		if line := rolloutLine(s); line != last {
			fmt.Fprintf(app.Out, "%s %s\n", time.Now().Format("15:04:05"), line)
			last = line
		}
		if !wait || s.State != "running" {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
		var err error
		if s, err = app.client().Rollout(ctx, s.Rollout.ID); err != nil {
			return err
		}
	}
	printFailures(app.Out, s)
	return nil
}

func rolloutLine(s api.RolloutSummary) string {
	c := s.Counts
	return fmt.Sprintf("rollout %s (hostgroup %s, %d hosts): %s; waiting %d, running %d, succeeded %d, failed %d",
		s.Rollout.ID, s.Rollout.Hostgroup, len(s.Rollout.Hosts), s.State,
		c[api.PhaseWaiting], c[api.PhaseRunning], c[api.PhaseSucceeded], c[api.PhaseFailed])
}

func printFailures(w io.Writer, s api.RolloutSummary) {
	for _, f := range s.Failures {
		msg := "-"
		if f.Error != nil {
			msg = f.Error.Error()
		}
		fmt.Fprintf(w, "FAILED %s (%s): %s\n", f.Host, f.Deployment, msg)
	}
}
