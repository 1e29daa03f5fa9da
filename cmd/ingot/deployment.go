package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
)

var deploymentCols = []column[api.Deployment]{
	{"ID", func(d api.Deployment) string { return string(d.ID) }},
	{"HOST", func(d api.Deployment) string { return d.Host }},
	{"HOSTGROUP", func(d api.Deployment) string { return d.Hostgroup }},
	{"STATE", func(d api.Deployment) string { return string(d.State) }},
	{"STEP", func(d api.Deployment) string { return currentStep(d) }},
	{"AGE", func(d api.Deployment) string { return age(d.CreatedAt) }},
}

// currentStep names the step in flight, or the last one that ran.
func currentStep(d api.Deployment) string {
	last := "-"
	for i, s := range d.Steps {
		switch s.Status {
		case api.StepRunning, api.StepWaiting, api.StepUndoing, api.StepFailed:
			return fmt.Sprintf("%d/%d %s (%s)", i+1, len(d.Steps), s.Name, s.Status)
		case api.StepSucceeded, api.StepUndone:
			last = fmt.Sprintf("%d/%d %s (%s)", i+1, len(d.Steps), s.Name, s.Status)
		}
	}
	return last
}

func newDeploymentCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "deployment", Short: "inspect and steer deployments", Aliases: []string{"deployments", "dep"}}
	var host, group, state string
	list := &cobra.Command{Use: "list", Short: "list deployments", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"host": host, "hostgroup": group, "state": state} {
				if v != "" {
					q.Set(k, v)
				}
			}
			items, err := app.client().Deployments().All(cmd.Context(), q)
			if err != nil {
				return err
			}
			return printList(app, items, deploymentCols)
		}}
	list.Flags().StringVar(&host, "host", "", "only this host")
	list.Flags().StringVar(&group, "hostgroup", "", "only this hostgroup")
	list.Flags().StringVar(&state, "state", "", "only this state")
	cmd.AddCommand(list, deploymentGetCmd(app), deploymentEventsCmd(app), deploymentCancelCmd(app), deploymentSignalCmd(app))
	return cmd
}

func deploymentGetCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "get ID", Short: "show a deployment and its checklist of steps", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := app.client().Deployments().Get(cmd.Context(), args[0])
			if err != nil || app.Output != "table" {
				if err != nil {
					return err
				}
				return printValue(app, d)
			}
			fmt.Fprintf(app.Out, "%s  host %s  %s\n", d.ID, d.Host, d.State)
			for i, s := range d.Steps {
				took := ""
				if !s.FinishedAt.IsZero() && !s.StartedAt.IsZero() {
					took = s.FinishedAt.Sub(s.StartedAt).Round(time.Millisecond).String()
				}
				fmt.Fprintf(app.Out, "  %d. %-16s %-12s %s\n", i+1, s.Name, s.Status, took)
				if s.Error != nil {
					fmt.Fprintf(app.Out, "     error: %s\n", s.Error.Message)
				}
			}
			if d.Error != nil {
				fmt.Fprintf(app.Out, "error: %s\n", d.Error.Error())
				if d.Error.Hint != "" {
					fmt.Fprintf(app.Out, "hint: %s\n", d.Error.Hint)
				}
			}
			return nil
		}}
}

func deploymentEventsCmd(app *App) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{Use: "events ID", Short: "show a deployment's events", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := api.DeploymentID(args[0])
			d, err := app.client().Deployments().Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if follow {
				return app.client().Follow(cmd.Context(), id, 0, func(e api.Event) error { printEvent(app.Out, d, e); return nil })
			}
			evs, err := app.client().Events(cmd.Context(), id, 0)
			if err != nil {
				return err
			}
			if app.Output != "table" {
				return printValue(app, evs)
			}
			for _, e := range evs {
				printEvent(app.Out, d, e)
			}
			return nil
		}}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep following until the deployment ends")
	return cmd
}

func deploymentCancelCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "cancel ID", Short: "cancel a deployment; the steps done are compensated", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.client().Cancel(cmd.Context(), api.DeploymentID(args[0])); err != nil {
				return err
			}
			fmt.Fprintf(app.Out, "cancel requested for %s\n", args[0])
			return nil
		}}
}

func deploymentSignalCmd(app *App) *cobra.Command {
	var data string
	cmd := &cobra.Command{Use: "signal ID NAME [--data JSON]", Short: "report to a waiting deployment (e.g. installer.done, firstboot)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := api.Signal{Name: args[1]}
			if data != "" {
				if !json.Valid([]byte(data)) {
					return fmt.Errorf("--data is not valid JSON: %s", data)
				}
				s.Data = json.RawMessage(data)
			}
			return app.client().Signal(cmd.Context(), api.DeploymentID(args[0]), s)
		}}
	cmd.Flags().StringVar(&data, "data", "", "JSON payload of the signal")
	return cmd
}
