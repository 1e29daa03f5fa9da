package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
)

var tokenCols = []column[api.Token]{
	{"ID", func(t api.Token) string { return t.ID }},
	{"NAME", func(t api.Token) string { return t.Name }},
	{"SCOPES", func(t api.Token) string { return strings.Join(t.Scopes, ",") }},
	{"EXPIRES", func(t api.Token) string {
		if t.ExpiresAt.IsZero() {
			return "never"
		}
		return t.ExpiresAt.Format(time.RFC3339)
	}},
}

func newTokenCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "API tokens and their scopes", Aliases: []string{"tokens"}}
	var scopes []string
	var ttl time.Duration
	create := &cobra.Command{Use: "create NAME --scope SCOPE...", Short: "create a token; its secret is printed once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := api.Token{Name: args[0], Scopes: scopes}
			if ttl > 0 {
				t.ExpiresAt = time.Now().Add(ttl).UTC()
			}
			out, err := app.client().Tokens().Create(cmd.Context(), t)
			if err != nil {
				return err
			}
			if app.Output != "table" {
				return printValue(app, out)
			}
			fmt.Fprintf(app.Out, "token %s (%s) created; its secret, shown only now:\n%s\n", out.Name, out.ID, out.Secret)
			return nil
		}}
	create.Flags().StringSliceVar(&scopes, "scope", nil, "scope to grant (repeat): admin, imageset:manage:NAME, hostgroup:deploy:rack-*, host:read, ...")
	create.Flags().DurationVar(&ttl, "ttl", 0, "expire after this long (default never)")
	list := &cobra.Command{Use: "list", Short: "list tokens", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			items, err := app.client().Tokens().All(cmd.Context(), nil)
			if err != nil {
				return err
			}
			return printList(app, items, tokenCols)
		}}
	del := &cobra.Command{Use: "delete ID...", Short: "revoke tokens", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				if err := app.client().Tokens().Delete(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(app.Out, "revoked token %s\n", id)
			}
			return nil
		}}
	cmd.AddCommand(create, list, del)
	return cmd
}
