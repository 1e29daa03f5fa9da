package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/api"
)

// newRecoveryKeyCommand is `ingot host recovery-key HOST`: the escrowed
// recovery passphrases of the host's LUKS volumes.
func newRecoveryKeyCommand(app *App) *cobra.Command {
	var volume string
	cmd := &cobra.Command{Use: "recovery-key HOST [--volume NAME]", Short: "print a host's escrowed LUKS recovery passphrases (scope host:recovery:HOST; audit-logged)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := app.client().RecoveryKeys(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var out []api.RecoveryKey
			for _, k := range keys {
				if volume == "" || k.Volume == volume {
					out = append(out, k)
				}
			}
			if len(out) == 0 {
				return fmt.Errorf("host %s has no escrowed recovery key%s: only LUKS volumes made by the Ingot installer have one", args[0], forVolume(volume))
			}
			return printList(app, out, recoveryCols)
		}}
	cmd.Flags().StringVar(&volume, "volume", "", "only this LUKS volume (its name in the layout, e.g. crypt)")
	return cmd
}

func forVolume(v string) string {
	if v == "" {
		return ""
	}
	return " for volume " + v
}

var recoveryCols = []column[api.RecoveryKey]{
	{"VOLUME", func(k api.RecoveryKey) string { return k.Volume }},
	{"DEVICE", func(k api.RecoveryKey) string { return orDash(k.Device) }},
	{"DEPLOYMENT", func(k api.RecoveryKey) string { return string(k.Deployment) }},
	{"ESCROWED", func(k api.RecoveryKey) string { return k.CreatedAt.Format(time.RFC3339) }},
	{"PASSPHRASE", func(k api.RecoveryKey) string { return k.Passphrase }},
}
