package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
)

var buildCols = []column[api.Build]{
	{"ID", func(b api.Build) string { return string(b.ID) }},
	{"RECIPE", func(b api.Build) string { return b.Name }},
	{"BACKEND", func(b api.Build) string { return b.Backend }},
	{"STATE", func(b api.Build) string { return string(b.State) }},
	{"PHASE", func(b api.Build) string { return buildPhase(b) }},
	{"IMAGESET", func(b api.Build) string { return b.ImageSet }},
	{"IMAGE", func(b api.Build) string { return orDash(b.Image) }},
	{"AGE", func(b api.Build) string { return age(b.CreatedAt) }},
}

func buildPhase(b api.Build) string {
	if b.Percent < 0 || b.State.Terminal() {
		return string(b.Phase)
	}
	return fmt.Sprintf("%s %d%%", b.Phase, b.Percent)
}

// submitBuild sends the recipe to the server as a build job.
func submitBuild(ctx context.Context, app *App, path string, f buildFlags) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading recipe: %w", err)
	}
	js, err := yaml.YAMLToJSON(data) // the server decodes it strictly
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	b, err := app.client().SubmitBuild(ctx, api.BuildRequest{Recipe: js, ImageSet: f.imageSet, SecureBoot: f.secureBoot})
	if err != nil {
		return err
	}
	if !f.follow {
		fmt.Fprintln(app.Out, b.ID)
		return nil
	}
	fmt.Fprintf(app.Err, "build %s queued: recipe %s into image set %s\n", b.ID, b.Name, b.ImageSet)
	return followBuild(ctx, app.client(), app.Out, b.ID)
}

// followBuild prints a build's log live and fails unless it succeeded.
func followBuild(ctx context.Context, c *client.Client, w io.Writer, id api.BuildID) error {
	b, err := c.FollowBuild(ctx, id, 0, func(l api.BuildLogLine) error {
		_, err := fmt.Fprintf(w, "%s %s\n", l.Time.Local().Format("15:04:05"), l.Line)
		return err
	})
	if err != nil {
		return err
	}
	if b.State != api.BuildSucceeded {
		return fmt.Errorf("build %s %s: %s", b.ID, b.State, b.Error)
	}
	fmt.Fprintf(w, "build %s succeeded: image %s in image set %s\n", b.ID, b.Image, b.ImageSet)
	return nil
}

// newBuildJobCommand is `ingot build list|get|log|cancel`: the server's
// image build jobs (`ingot image build RECIPE` starts one).
func newBuildJobCommand(app *App) *cobra.Command {
	r := resourceCmd[api.Build]{use: "build", res: (*client.Client).Builds, key: func(b api.Build) string { return string(b.ID) },
		cols: buildCols, filters: []string{"state"}}
	cmd := &cobra.Command{Use: "build", Short: "inspect, follow and cancel image builds on the server (ingot image build RECIPE starts one)", Aliases: []string{"builds"}}
	cmd.AddCommand(r.listCmd(app), r.getCmd(app), buildLogCmd(app), buildCancelCmd(app))
	return cmd
}

func buildLogCmd(app *App) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{Use: "log ID [--follow]", Short: "print a build's log (the newest lines are kept)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := api.BuildID(args[0])
			if follow {
				return followBuild(cmd.Context(), app.client(), app.Out, id)
			}
			var after int64
			for {
				lines, err := app.client().BuildLog(cmd.Context(), id, after)
				if err != nil {
					return err
				}
				for _, l := range lines {
					fmt.Fprintf(app.Out, "%s %s\n", l.Time.Local().Format("15:04:05"), l.Line)
					after = l.Seq
				}
				if len(lines) < 1000 {
					return nil
				}
			}
		}}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the log until the build ends; fail unless it succeeded")
	return cmd
}

func buildCancelCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "cancel ID...", Short: "cancel builds: a queued one at once; a running one stops and registers nothing", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				b, err := app.client().CancelBuild(cmd.Context(), api.BuildID(id))
				if err != nil {
					return err
				}
				state := string(b.State)
				if !b.State.Terminal() {
					state = "cancel requested, still " + state
				}
				fmt.Fprintf(app.Out, "build %s: %s\n", b.ID, state)
			}
			return nil
		}}
}
