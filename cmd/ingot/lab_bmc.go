package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/redfish/vbmc"
)

// newLabBMCCommand is `ingot lab bmc`: a virtual BMC (Redfish) in front of
// a qemu VM's QMP socket.
func newLabBMCCommand(app *App) *cobra.Command {
	var sock, listen, user, passwordEnv string
	cmd := &cobra.Command{
		Use:   "bmc --qmp SOCK [--listen ADDR]",
		Short: "serve Redfish for a qemu VM (power, boot override, virtual media) over its QMP socket",
		Long: "Start qemu with -S -no-shutdown -qmp unix:SOCK,server=on,wait=off, a CD drive with qdev id cdrom0,\n" +
			"a NIC net0 and a disk disk0; then point Ingot (or redfishtool) at the address printed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw := os.Getenv(passwordEnv)
			if pw == "" {
				return fmt.Errorf("no password for the virtual BMC: set %s", passwordEnv)
			}
			if sock == "" {
				return errors.New("--qmp SOCK is required")
			}
			log := slog.New(slog.NewTextHandler(app.Err, nil))
			h, err := vbmc.New(vbmc.Config{QMPSocket: sock, Username: user, Password: pw, Logger: log})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("virtual BMC: %w", err)
			}
			fmt.Fprintf(app.Out, "virtual BMC for %s on http://%s (user %s)\n", sock, ln.Addr(), user)
			return vbmc.Serve(cmd.Context(), ln, h)
		}}
	cmd.Flags().StringVar(&sock, "qmp", "", "qemu QMP unix socket")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8000", "address to serve Redfish on")
	cmd.Flags().StringVar(&user, "user", "admin", "Redfish username")
	cmd.Flags().StringVar(&passwordEnv, "password-env", "INGOT_LAB_BMC_PASSWORD", "environment variable that holds the Redfish password")
	return cmd
}
