package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	"ingot.dev/ingot/client"
)

// column is one column of a table: a header and how to get the cell.
type column[T any] struct {
	header string
	cell   func(T) string
}

// printList prints items in the chosen output format.
func printList[T any](app *App, items []T, cols []column[T]) error {
	switch app.Output {
	case "json", "yaml":
		return printValue(app, items)
	case "table", "":
		tw := tabwriter.NewWriter(app.Out, 2, 4, 2, ' ', 0)
		heads := make([]string, len(cols))
		for i, c := range cols {
			heads[i] = c.header
		}
		fmt.Fprintln(tw, strings.Join(heads, "\t"))
		for _, it := range items {
			cells := make([]string, len(cols))
			for i, c := range cols {
				cells[i] = c.cell(it)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown output format %q: use table, json or yaml", app.Output)
}

// printOne prints one object: a one-row table or the whole object.
func printOne[T any](app *App, v T, cols []column[T]) error {
	if app.Output == "table" || app.Output == "" {
		return printList(app, []T{v}, cols)
	}
	return printValue(app, v)
}

func printValue(app *App, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if app.Output == "yaml" {
		if b, err = yaml.JSONToYAML(b); err != nil {
			return err
		}
		_, err = app.Out.Write(b)
		return err
	}
	_, err = fmt.Fprintf(app.Out, "%s\n", b)
	return err
}

// readObject decodes a YAML or JSON file ("-" for stdin) strictly into v.
func readObject(app *App, path string, v any) error {
	var r io.Reader = app.In
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (app *App) client() *client.Client { return client.New(app.Server, app.Token) }
