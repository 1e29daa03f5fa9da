package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
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

// newBMCCommand is `ingot bmc`: probe BMCs through the server (which keeps
// their quirks), or talk to them directly over Redfish.
func newBMCCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "bmc", Short: "Probe BMCs and show their stored quirks; inventory BMCs over Redfish"}
	cmd.AddCommand(newBMCProbeCommand(app), newBMCQuirksCommand(app), newBMCInventoryCommand(app))
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
	var direct bool
	cmd := &cobra.Command{
		Use:   "probe HOST...",
		Short: "learn each host's BMC quirks (boot targets, media types, ETag / settings, Inserted) and store them",
		Long: "probe has the server probe each host's BMC with the host's stored credential and keep what it learns:\n" +
			"every later Redfish call the server makes to that BMC (deployments, rollouts) starts from it.\n" +
			"It reads what each BMC advertises. With --active it also sets and restores a one-time boot override\n" +
			"and, with --media-url, inserts and ejects an image, to learn what the BMC really does.\n" +
			"With --direct, HOST is a BMC address probed from here (--user, --password-env) and nothing is stored.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, hosts []string) error {
			var results []probeResult
			failed := 0
			for _, h := range hosts {
				var r probeResult
				if direct {
					r = probeOne(cmd.Context(), app, &f, h, opts)
				} else {
					r = probeStored(cmd.Context(), app, h, opts)
				}
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
	cmd.Flags().BoolVar(&direct, "direct", false, "HOST is a BMC address: probe it from here, store nothing")
	cmd.Flags().BoolVar(&opts.Active, "active", false, "also try a boot override and a media insert (restored afterwards)")
	cmd.Flags().StringVar(&opts.MediaURL, "media-url", "", "image URL the BMC can fetch, for the media trial")
	return cmd
}

// probeStored probes a host's BMC through the server.
func probeStored(ctx context.Context, app *App, host string, opts quirks.Options) probeResult {
	p, err := app.client().ProbeBMC(ctx, host, api.BMCProbeRequest{Active: opts.Active, MediaURL: opts.MediaURL})
	if err != nil {
		return probeResult{Host: host, Error: err.Error()}
	}
	r := probeResult{Host: host, Key: kindOf(p.Quirks), Findings: p.Quirks.Findings, Calls: p.Calls}
	if err := json.Unmarshal(p.Quirks.Quirks, &r.Quirks); err != nil {
		r.Error = fmt.Sprintf("the server sent unreadable quirks: %v", err)
	}
	return r
}

func kindOf(q api.BMCQuirks) string {
	return quirks.Key{Vendor: q.Vendor, Model: q.Model, Firmware: q.Firmware}.String()
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
		fmt.Fprintf(app.Out, "  quirks: %s\n", quirkSummary(r.Quirks))
	}
	return nil
}

// newBMCQuirksCommand is `ingot bmc quirks [HOST...]`: what the server
// knows about every BMC, or about these hosts' BMCs.
func newBMCQuirksCommand(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "quirks [HOST...]",
		Short: "show the stored BMC quirks (every BMC, or the BMCs of these hosts)",
		RunE: func(cmd *cobra.Command, hosts []string) error {
			var list []api.BMCQuirks
			var err error
			if len(hosts) == 0 {
				list, err = app.client().BMCQuirks().All(cmd.Context(), nil)
			}
			for _, h := range hosts {
				q, qerr := app.client().HostBMCQuirks(cmd.Context(), h)
				if qerr != nil {
					err = errors.Join(err, fmt.Errorf("host %s: %w", h, qerr))
					continue
				}
				list = append(list, q)
			}
			if perr := printList(app, list, quirkColumns); perr != nil {
				return perr
			}
			return err
		}}
}

var quirkColumns = []column[api.BMCQuirks]{
	{"ENDPOINT", func(q api.BMCQuirks) string { return q.Endpoint }},
	{"KIND", kindOf},
	{"SOURCE", func(q api.BMCQuirks) string { return q.Source }},
	{"PROBED", func(q api.BMCQuirks) string { return age(q.ProbedAt) }},
	{"QUIRKS", func(q api.BMCQuirks) string {
		var rq redfish.Quirks
		if json.Unmarshal(q.Quirks, &rq) != nil {
			return "unreadable"
		}
		return quirkSummary(rq)
	}},
}

// quirkSummary lists the quirks that change how Ingot talks to the BMC.
func quirkSummary(q redfish.Quirks) string {
	var out []string
	add := func(on bool, s string) {
		if on {
			out = append(out, s)
		}
	}
	add(q.BootSettingsPath != "", "boot-via-settings")
	add(q.BootETag, "boot-needs-if-match")
	add(q.BootNotApplied, "boot-override-ignored")
	add(q.MediaOmitInserted, "media-without-inserted")
	add(q.MediaPath != "" && q.MediaInsertPath == "", "media-by-patch")
	add(q.NoSessions, "basic-auth")
	if len(q.BootTargets) > 0 {
		out = append(out, fmt.Sprintf("boot=%v", q.BootTargets))
	}
	if len(q.MediaTypes) > 0 {
		out = append(out, fmt.Sprintf("media=%v", q.MediaTypes))
	}
	if len(out) == 0 {
		return "standard"
	}
	return strings.Join(out, " ")
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
