package main

import "github.com/spf13/cobra"

// newLabCommand groups the lab tools: virtual machines and BMCs to try
// Ingot without hardware.
func newLabCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "lab", Short: "virtual BMCs and lab machines for trying Ingot without hardware"}
	cmd.AddCommand(newLabBMCCommand(app))
	return cmd
}
