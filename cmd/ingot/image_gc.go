package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// imageGCRequest and imageGCResult mirror POST /v1/images/gc.
type imageGCRequest struct {
	DryRun bool   `json:"dry_run,omitempty"`
	Grace  string `json:"grace,omitempty"`
}

type imageGCResult struct {
	DryRun bool  `json:"dry_run"`
	Chunks int   `json:"chunks"`
	Bytes  int64 `json:"bytes"`
	Kept   int   `json:"kept"`
}

// newImageGCCommand asks the server to reclaim chunks no catalog image uses.
func newImageGCCommand(app *App) *cobra.Command {
	var req imageGCRequest
	grace := time.Hour
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Reclaim stored chunks no image in the catalog uses (admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.Grace = grace.String()
			var res imageGCResult
			if err := app.client().Do(cmd.Context(), http.MethodPost, "/v1/images/gc", nil, req, &res); err != nil {
				return fmt.Errorf("image gc: %w", err)
			}
			if app.Output != "table" && app.Output != "" {
				return printValue(app, res)
			}
			verb := "reclaimed"
			if res.DryRun {
				verb = "would reclaim"
			}
			_, err := fmt.Fprintf(app.Out, "%s %d chunks, %d bytes (%.1f MiB); %d kept\n", verb, res.Chunks, res.Bytes, float64(res.Bytes)/(1<<20), res.Kept)
			return err
		},
	}
	cmd.Flags().BoolVar(&req.DryRun, "dry-run", false, "report what would be reclaimed, delete nothing")
	cmd.Flags().DurationVar(&grace, "grace", grace, "spare chunks written more recently than this (uploads in progress)")
	return cmd
}
