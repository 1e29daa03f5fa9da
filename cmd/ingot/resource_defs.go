package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
)

func age(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String()
}

func newImageSetCommand(app *App) *cobra.Command {
	cmd := resourceCmd[api.ImageSet]{
		use: "imageset", short: "manage image sets (one image per arch, firmware and secure boot)", aliases: []string{"imagesets", "is"},
		res: (*client.Client).ImageSets, key: func(s api.ImageSet) string { return s.Name },
		cols: []column[api.ImageSet]{
			{"NAME", func(s api.ImageSet) string { return s.Name }},
			{"VARIANTS", func(s api.ImageSet) string {
				keys := make([]string, len(s.Variants))
				for i, v := range s.Variants {
					keys[i] = v.Key()
				}
				return strings.Join(keys, ",")
			}},
			{"CHECK", imageSetCheck},
			{"AGE", func(s api.ImageSet) string { return age(s.CreatedAt) }},
		},
	}.command(app)
	cmd.AddCommand(imageSetCheckCmd(app))
	return cmd
}

// imageSetCheck is the set's last check: ok or failed and how long ago.
func imageSetCheck(s api.ImageSet) string {
	if s.Check == nil {
		return "-"
	}
	return string(s.Check.Status) + " " + age(s.Check.Time) + " ago"
}

func imageSetCheckCmd(app *App) *cobra.Command {
	return &cobra.Command{Use: "check NAME...", Short: "check every variant's image now (signature, every chunk read and hashed) and record the outcome",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := 0
			for _, name := range args {
				set, err := app.client().CheckImageSet(cmd.Context(), name)
				if err != nil {
					return err
				}
				if set.Check == nil {
					return fmt.Errorf("image set %s: the server recorded no check", name)
				}
				fmt.Fprintf(app.Out, "image set %s: %s%s\n", name, set.Check.Status, prefixed(": ", set.Check.Error))
				if set.Check.Status != api.CheckOK {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d image sets failed their check", failed, len(args))
			}
			return nil
		}}
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func newHostgroupCommand(app *App) *cobra.Command {
	return resourceCmd[api.Hostgroup]{
		use: "hostgroup", short: "manage hostgroups (image set, layout, encryption, template)", aliases: []string{"hostgroups", "hg"},
		res: (*client.Client).Hostgroups, key: func(g api.Hostgroup) string { return g.Name },
		cols: []column[api.Hostgroup]{
			{"NAME", func(g api.Hostgroup) string { return g.Name }},
			{"IMAGESET", func(g api.Hostgroup) string { return g.ImageSet }},
			{"LAYOUT", func(g api.Hostgroup) string { return orDash(shortSpec(g.Layout, "spec")) }},
			{"ENCRYPTION", func(g api.Hostgroup) string { return orDash(shortSpec(g.Encryption, "policy")) }},
			{"MAX", func(g api.Hostgroup) string { return itoa(g.MaxConcurrent) }},
		},
	}.command(app)
}

func newHostCommand(app *App) *cobra.Command {
	cmd := resourceCmd[api.Host]{
		use: "host", short: "manage hosts (machines)", aliases: []string{"hosts"},
		res: (*client.Client).Hosts, key: func(h api.Host) string { return h.Name },
		filters: []string{"hostgroup", "state"},
		cols: []column[api.Host]{
			{"NAME", func(h api.Host) string { return h.Name }},
			{"HOSTGROUP", func(h api.Host) string { return orDash(h.Hostgroup) }},
			{"STATE", func(h api.Host) string { return string(h.State) }},
			{"BOOT", func(h api.Host) string { return string(h.Boot) }},
			{"MACS", func(h api.Host) string {
				s := make([]string, len(h.MACs))
				for i, m := range h.MACs {
					s[i] = m.String()
				}
				return strings.Join(s, ",")
			}},
		},
	}.command(app)
	cmd.AddCommand(newHostAddCommand(app), newHostImportCommand(app), newHostImageCommand(app), newRecoveryKeyCommand(app))
	return cmd
}

// newHostImageCommand is `ingot host image NAME`: materialize the host's
// transient image (base image + config layer) on the server.
func newHostImageCommand(app *App) *cobra.Command {
	var deployment string
	cmd := &cobra.Command{Use: "image NAME", Short: "materialize the host's image (its hostgroup's base + its config layer; only the layer is new)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hi, err := app.client().MaterializeHostImage(cmd.Context(), args[0], api.DeploymentID(deployment))
			if err != nil {
				return err
			}
			if app.Output != "table" {
				return printValue(app, hi)
			}
			fmt.Fprintf(app.Out, "host image %s of %s: base %s, %d new bytes, expires %s\n", hi.ID, hi.Host, hi.Base, hi.NewBytes, hi.ExpiresAt.Local().Format(time.RFC3339))
			return nil
		}}
	cmd.Flags().StringVar(&deployment, "deployment", "", "remove the host image once this deployment succeeds")
	return cmd
}

// newHostAddCommand registers a host from flags, for quick use and scripts.
func newHostAddCommand(app *App) *cobra.Command {
	var h api.Host
	var macs []string
	cmd := &cobra.Command{Use: "add NAME --mac MAC [--hostgroup G]", Short: "register a host from flags", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h.Name = args[0]
			for _, s := range macs {
				m, err := api.ParseMAC(s)
				if err != nil {
					return err
				}
				h.MACs = append(h.MACs, m)
			}
			out, err := app.client().Hosts().Create(cmd.Context(), h)
			if err != nil {
				return err
			}
			return printOne(app, out, nil)
		}}
	f := cmd.Flags()
	f.StringSliceVar(&macs, "mac", nil, "MAC address (repeat for several NICs)")
	f.StringVar(&h.Hostgroup, "hostgroup", "", "hostgroup")
	f.StringVar(&h.Serial, "serial", "", "serial number")
	f.StringVar(&h.Values.Hostname, "hostname", "", "hostname (if the template allows it)")
	return cmd
}

// imageCatalogCommands are `ingot image list|get|delete` over the catalog.
func imageCatalogCommands(app *App) []*cobra.Command {
	r := resourceCmd[api.Image]{
		use: "image", res: (*client.Client).Images, key: func(i api.Image) string { return i.ID },
		cols: []column[api.Image]{
			{"ID", func(i api.Image) string { return i.ID }},
			{"NAME", func(i api.Image) string { return i.Name }},
			{"ARCH", func(i api.Image) string { return string(i.Arch) }},
			{"FIRMWARE", func(i api.Image) string { return string(i.Firmware) }},
			{"OS", func(i api.Image) string { return orDash(i.OS) }},
			{"SIZE", func(i api.Image) string { return itoa(int(i.Size>>20)) + " MiB" }},
			{"AGE", func(i api.Image) string { return age(i.CreatedAt) }},
		},
	}
	return []*cobra.Command{r.listCmd(app), r.getCmd(app), r.deleteCmd(app)}
}

func newCredentialCommand(app *App) *cobra.Command {
	return resourceCmd[api.Credential]{
		use: "credential", short: "BMC credentials (encrypted at rest, never shown)", aliases: []string{"credentials"},
		res: (*client.Client).Credentials, putCreate: true, key: func(c api.Credential) string { return c.Name },
		cols: []column[api.Credential]{
			{"NAME", func(c api.Credential) string { return c.Name }},
			{"USERNAME", func(c api.Credential) string { return c.Username }},
			{"AGE", func(c api.Credential) string { return age(c.CreatedAt) }},
		},
	}.command(app)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// shortSpec shows a one-word field as it is and an inline YAML/JSON spec as
// word (the full text is in `get -o yaml`).
func shortSpec(v, word string) string {
	if strings.ContainsAny(v, "\n{:") {
		return word
	}
	return v
}
