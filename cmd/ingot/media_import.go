package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/installer/kit"
)

func newImportReportsCommand(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "import-reports DEVICE|IMAGE",
		Short: "Import the deployment reports a site kit brought back (a stick or its image file)",
		Long: "Reads the kit's report area, hands every signed report to the server, which verifies it\n" +
			"with the kit's key and records the deployment as if the host had been online (steps,\n" +
			"events, outcome, recovery keys). Importing the same stick twice changes nothing.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImportReports(cmd.Context(), app, args[0])
		},
	}
}

func runImportReports(ctx context.Context, app *App, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("import-reports: %w", err)
	}
	defer f.Close()
	area, err := kit.FindArea(f)
	if err != nil {
		return fmt.Errorf("import-reports: %s: %w", src, err)
	}
	envs, readErr := area.Reports()
	fmt.Fprintf(app.Err, "kit %s: %d reports in the report area of %s\n", area.Header.Kit, len(envs), src)
	tw := tabwriter.NewWriter(app.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tDEPLOYMENT\tRESULT\tSTATE\tKEYS\tNOTE")
	var errs []error
	if readErr != nil {
		errs = append(errs, readErr)
	}
	for _, e := range envs {
		res, err := app.client().ImportKitReport(ctx, e)
		if err != nil {
			errs = append(errs, fmt.Errorf("report %s of kit %s: %w", e.Digest()[:19], e.Kit, err))
			continue
		}
		note := "imported"
		if res.Replayed {
			note = "already imported"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", res.Host, res.Deployment, res.Result, res.State, res.RecoveryKeys, note)
	}
	tw.Flush()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("import-reports: %w", err)
	}
	return nil
}
