package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
)

// newHostImportCommand is `ingot host import --redfish URL...`: the server
// reads each BMC's inventory and registers or updates its host.
func newHostImportCommand(app *App) *cobra.Command {
	var req api.HostImportRequest
	cmd := &cobra.Command{
		Use:   "import --redfish URL... [--hostgroup G] [--credential C]",
		Short: "register hosts from their BMCs' Redfish inventory (UUID, serial, MACs, disks)",
		Long: "import has the server log in to each BMC with the stored credential, read its inventory and register\n" +
			"one host per BMC, named after its hostname or serial, with the BMC attached. A host that exists\n" +
			"already (same BMC, UUID, serial or MAC) is updated, never duplicated, so import can be run again.\n" +
			"A BMC that fails is reported and the others go on.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(req.Redfish) == 0 {
				return fmt.Errorf("no BMC given: pass --redfish https://BMC (repeat it or separate with commas)")
			}
			res, err := app.client().ImportHosts(cmd.Context(), req)
			if err != nil {
				return err
			}
			if app.Output != "table" {
				if err := printValue(app, res); err != nil {
					return err
				}
			} else {
				printImport(app, res)
			}
			failed := 0
			for _, r := range res.Results {
				if r.Error != "" {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d BMCs could not be imported", failed, len(res.Results))
			}
			return nil
		}}
	f := cmd.Flags()
	f.StringSliceVar(&req.Redfish, "redfish", nil, "BMC Redfish URL, like https://10.0.0.9 (repeat for several)")
	f.StringVar(&req.Hostgroup, "hostgroup", "", "put the hosts into this hostgroup")
	f.StringVar(&req.Credential, "credential", "", "stored credential to log in to the BMCs with (ingot credential create)")
	return cmd
}

func printImport(app *App, res api.HostImportResponse) {
	for _, r := range res.Results {
		if r.Error != "" {
			fmt.Fprintf(app.Out, "%s: FAILED: %s\n", r.Endpoint, r.Error)
			continue
		}
		inv := r.Inventory
		var macs []string
		for _, m := range inv.MACs {
			macs = append(macs, m.String())
		}
		fmt.Fprintf(app.Out, "%s: %s %s (serial %s, uuid %s, macs %s, disks %d)\n", r.Endpoint, r.Action, r.Host,
			orDash(inv.Serial), orDash(inv.SystemUUID), orDash(strings.Join(macs, ",")), len(inv.Disks))
	}
}
