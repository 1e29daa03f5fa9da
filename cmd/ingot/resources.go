package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/client"
)

// resourceCmd describes the CRUD subcommands of one API resource.
type resourceCmd[T any] struct {
	use, short string
	aliases    []string
	res        func(*client.Client) client.Resource[T]
	key        func(T) string
	cols       []column[T]
	filters    []string // query filters offered as flags on list
	noUpdate   bool
	putCreate  bool // create with PUT /path/{key} (idempotent resources)
}

func (r resourceCmd[T]) command(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: r.use, Short: r.short, Aliases: r.aliases}
	cmd.AddCommand(r.createCmd(app), r.getCmd(app), r.listCmd(app), r.deleteCmd(app))
	if !r.noUpdate {
		cmd.AddCommand(r.updateCmd(app))
	}
	return cmd
}

func (r resourceCmd[T]) createCmd(app *App) *cobra.Command {
	var file string
	cmd := &cobra.Command{Use: "create -f FILE", Short: "create a " + r.use + " from a YAML or JSON file", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v T
			if err := readObject(app, file, &v); err != nil {
				return err
			}
			res := r.res(app.client())
			create := res.Create
			if r.putCreate {
				create = func(ctx context.Context, v T) (T, error) { return res.Put(ctx, r.key(v), v) }
			}
			out, err := create(cmd.Context(), v)
			if err != nil {
				return err
			}
			return printOne(app, out, r.cols)
		}}
	cmd.Flags().StringVarP(&file, "file", "f", "-", "YAML or JSON file, - for stdin")
	return cmd
}

func (r resourceCmd[T]) updateCmd(app *App) *cobra.Command {
	var file string
	cmd := &cobra.Command{Use: "update -f FILE", Short: "replace a " + r.use + " with the object in a file", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v T
			if err := readObject(app, file, &v); err != nil {
				return err
			}
			out, err := r.res(app.client()).Put(cmd.Context(), r.key(v), v)
			if err != nil {
				return err
			}
			return printOne(app, out, r.cols)
		}}
	cmd.Flags().StringVarP(&file, "file", "f", "-", "YAML or JSON file, - for stdin")
	return cmd
}

func (r resourceCmd[T]) getCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "get NAME", Short: "show one " + r.use, Args: cobra.ExactArgs(1),
		ValidArgsFunction: r.complete(app),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := r.res(app.client()).Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if app.Output == "table" {
				app.Output = "yaml" // one object reads best whole
			}
			return printOne(app, v, r.cols)
		}}
}

func (r resourceCmd[T]) listCmd(app *App) *cobra.Command {
	vals := make([]string, len(r.filters))
	cmd := &cobra.Command{Use: "list", Short: "list " + r.use + "s", Aliases: []string{"ls"}, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for i, f := range r.filters {
				if vals[i] != "" {
					q.Set(f, vals[i])
				}
			}
			items, err := r.res(app.client()).All(cmd.Context(), q)
			if err != nil {
				return err
			}
			return printList(app, items, r.cols)
		}}
	for i, f := range r.filters {
		cmd.Flags().StringVar(&vals[i], f, "", "only "+r.use+"s with this "+f)
	}
	return cmd
}

func (r resourceCmd[T]) deleteCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "delete NAME...", Short: "delete " + r.use + "s", Aliases: []string{"rm"}, Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: r.complete(app),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, k := range args {
				if err := r.res(app.client()).Delete(cmd.Context(), k); err != nil {
					return err
				}
				fmt.Fprintf(app.Out, "deleted %s %s\n", r.use, k)
			}
			return nil
		}}
}

// complete offers the names of existing objects for shell completion.
func (r resourceCmd[T]) complete(app *App) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		items, err := r.res(app.client()).All(cmd.Context(), nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, it := range items {
			if k := r.key(it); strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
