package main

import (
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
)

var auditCols = []column[api.AuditEntry]{
	{"TIME", func(a api.AuditEntry) string { return a.Time.Local().Format(time.DateTime) }},
	{"ACTOR", func(a api.AuditEntry) string { return a.Actor }},
	{"METHOD", func(a api.AuditEntry) string { return a.Method }},
	{"PATH", func(a api.AuditEntry) string { return a.Path }},
	{"STATUS", func(a api.AuditEntry) string { return itoa(a.Status) }},
}

func newAuditCommand(app *App) *cobra.Command {
	var limit int
	cmd := &cobra.Command{Use: "audit [--limit N]", Short: "who changed what, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := app.client().Audit(cmd.Context(), limit, "")
			if err != nil {
				return err
			}
			return printList(app, p.Items, auditCols)
		}}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many entries")
	return cmd
}
