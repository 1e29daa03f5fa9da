package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/quirks"
)

// bmcFlags are the connection flags of the bmc commands. The password
// comes from the environment, never from the command line.
type bmcFlags struct {
	user, passwordEnv, ca string
	insecure, basic       bool
	timeout               time.Duration
}

func (f *bmcFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.user, "user", "admin", "BMC username")
	fl.StringVar(&f.passwordEnv, "password-env", "INGOT_BMC_PASSWORD", "environment variable that holds the BMC password")
	fl.StringVar(&f.ca, "ca", "", "PEM bundle of the CA that signs the BMCs' certificates")
	fl.BoolVar(&f.insecure, "insecure", false, "accept any BMC certificate (labs only)")
	fl.BoolVar(&f.basic, "basic-auth", false, "use HTTP basic auth instead of a Redfish session")
	fl.DurationVar(&f.timeout, "timeout", 20*time.Second, "timeout of one Redfish request")
}

func (f *bmcFlags) connect(ctx context.Context, app *App, host string) (*redfish.Client, error) {
	pw := os.Getenv(f.passwordEnv)
	if pw == "" {
		return nil, fmt.Errorf("no BMC password: set %s", f.passwordEnv)
	}
	return redfish.Connect(ctx, redfish.Config{
		Endpoint: host, Username: f.user, Password: redfish.Secret(pw), CAFile: f.ca,
		InsecureSkipVerify: f.insecure, BasicAuth: f.basic, Timeout: f.timeout,
		Logger: slog.New(slog.NewTextHandler(app.Err, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
}

// newBMCCommand is `ingot bmc`: talk to BMCs directly over Redfish.
func newBMCCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "bmc", Short: "Probe and inventory BMCs over Redfish"}
	cmd.AddCommand(newBMCProbeCommand(app), newBMCInventoryCommand(app))
	return cmd
}

type probeResult struct {
	Host     string
	Key      string         `json:",omitempty"`
	Quirks   redfish.Quirks `json:",omitzero"`
	Findings []string       `json:",omitempty"`
	Calls    int64          `json:",omitempty"`
	Error    string         `json:",omitempty"`
}

func newBMCProbeCommand(app *App) *cobra.Command {
	var f bmcFlags
	var opts quirks.Options
	cmd := &cobra.Command{
		Use:   "probe HOST...",
		Short: "learn each BMC's quirks (boot targets, media types, ETag / settings, Inserted)",
		Long: "probe reads what each BMC advertises. With --active it also sets and restores a one-time boot\n" +
			"override and, with --media-url, inserts and ejects an image, to learn what the BMC really does.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, hosts []string) error {
			var results []probeResult
			failed := 0
			for _, h := range hosts {
				r := probeOne(cmd.Context(), app, &f, h, opts)
				if r.Error != "" {
					failed++
				}
				results = append(results, r)
			}
			if err := printProbe(app, results); err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d BMCs could not be probed", failed, len(hosts))
			}
			return nil
		}}
	f.add(cmd)
	cmd.Flags().BoolVar(&opts.Active, "active", false, "also try a boot override and a media insert (restored afterwards)")
	cmd.Flags().StringVar(&opts.MediaURL, "media-url", "", "image URL the BMC can fetch, for the media trial")
	return cmd
}

func probeOne(ctx context.Context, app *App, f *bmcFlags, host string, opts quirks.Options) probeResult {
	c, err := f.connect(ctx, app, host)
	if err != nil {
		return probeResult{Host: host, Error: err.Error()}
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	rep, err := quirks.Probe(ctx, c, opts)
	if err != nil {
		return probeResult{Host: host, Error: err.Error()}
	}
	return probeResult{Host: host, Key: rep.Key.String(), Quirks: rep.Quirks, Findings: rep.Findings, Calls: rep.Calls}
}

func printProbe(app *App, results []probeResult) error {
	if app.Output != "table" {
		return printValue(app, results)
	}
	for _, r := range results {
		if r.Error != "" {
			fmt.Fprintf(app.Out, "%s: FAILED: %s\n", r.Host, r.Error)
			continue
		}
		fmt.Fprintf(app.Out, "%s: %s (%d Redfish calls)\n", r.Host, r.Key, r.Calls)
		for _, line := range r.Findings {
			fmt.Fprintf(app.Out, "  - %s\n", line)
		}
	}
	return nil
}

func newBMCInventoryCommand(app *App) *cobra.Command {
	var f bmcFlags
	cmd := &cobra.Command{
		Use:   "inventory HOST...",
		Short: "read UUID, serial, model, MACs and disks from each BMC",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, hosts []string) error {
			var errs []error
			for _, h := range hosts {
				inv, err := inventoryOne(cmd.Context(), app, &f, h)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if app.Output != "table" {
					if err := printValue(app, inv); err != nil {
						return err
					}
					continue
				}
				var macs []string
				for _, m := range inv.MACs() {
					macs = append(macs, m.String())
				}
				fmt.Fprintf(app.Out, "%s: %s %s serial %s uuid %s macs %s disks %d\n", h, inv.Manufacturer, inv.Model,
					inv.Serial, inv.UUID, strings.Join(macs, ","), len(inv.Disks))
			}
			return errors.Join(errs...)
		}}
	f.add(cmd)
	return cmd
}

func inventoryOne(ctx context.Context, app *App, f *bmcFlags, host string) (redfish.Inventory, error) {
	c, err := f.connect(ctx, app, host)
	if err != nil {
		return redfish.Inventory{}, err
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	return c.Inventory(ctx)
}
