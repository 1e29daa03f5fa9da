package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
)

// App carries what every command shares: where to talk to and how to print.
type App struct {
	In       io.Reader
	Out, Err io.Writer
	Server   string // base URL of the Ingot server, e.g. http://127.0.0.1:8443
	Token    string // bearer token
	Output   string // table, json or yaml
}

func newRootCommand(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:           "ingot",
		Short:         "Ingot casts OS images once and pours them onto metal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&app.Server, "server", envOr("INGOT_SERVER", "http://127.0.0.1:7480"), "Ingot server URL (env INGOT_SERVER)")
	pf.StringVar(&app.Token, "token", os.Getenv("INGOT_TOKEN"), "API bearer token (env INGOT_TOKEN)")
	pf.StringVarP(&app.Output, "output", "o", "table", "output format: table, json or yaml")
	for _, add := range commands {
		root.AddCommand(add(app))
	}
	return root
}

// commands lists the top-level command constructors, in help order.
var commands = []func(*App) *cobra.Command{
	newServeCommand,
	newDeployCommand,
	newRolloutCommand,
	newDeploymentCommand,
	newHostCommand,
	newHostgroupCommand,
	newImageSetCommand,
	newImageCommand,
	newBuildJobCommand,
	newCredentialCommand,
	newTokenCommand,
	newAuditCommand,
	newBMCCommand,
	newLabCommand,
	newMediaCommand,
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
