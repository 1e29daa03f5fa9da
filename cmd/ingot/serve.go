package main

import (
	"cmp"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/server"
)

// version is set at build time with -ldflags.
var version = "dev"

func newServeCommand(app *App) *cobra.Command {
	var cfg server.Config
	var debug bool
	var netbootFile string
	cmd := &cobra.Command{Use: "serve", Short: "run the Ingot server (embedded SQLite by default; listens on loopback)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if netbootFile != "" {
				nb, err := server.LoadNetboot(netbootFile)
				if err != nil {
					return err
				}
				cfg.Netboot = &nb
			}
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			log := slog.New(slog.NewTextHandler(app.Err, &slog.HandlerOptions{Level: level}))
			cfg.Version = version
			if err := serverBuilders(&cfg, log); err != nil {
				return err
			}
			return server.Run(cmd.Context(), cfg, log, app.Out)
		}}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", "ingot-data", "data directory: state, keys and chunks")
	f.StringVar(&cfg.Database, "database", "", "postgres://... to keep state in PostgreSQL (default: SQLite in the data directory)")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:7480", "address to listen on")
	f.StringVar(&cfg.AdminTokenFile, "admin-token-file", "", "also write the first admin token to this file (mode 0600)")
	f.StringVar(&cfg.AddrFile, "addr-file", "", "write the bound URL to this file once listening (for --listen :0)")
	f.StringVar(&cfg.PublicURL, "public-url", "", "base URL machines and installers reach this server at (default http://<listen address>)")
	f.IntVar(&cfg.GlobalCap, "max-deployments", 200, "deployments running at once, across all hostgroups")
	f.IntVar(&cfg.Workers, "workers", 16, "deployments advanced in parallel by this server")
	f.DurationVar(&cfg.LeaseTTL, "lease-ttl", 0, "how long a crashed replica's deployments stay claimed (default 30s)")
	f.DurationVar(&cfg.PollInterval, "poll", 0, "how often the engine looks for due work (default 2s)")
	f.DurationVar(&cfg.DefaultTimeout, "deployment-timeout", 0, "default deadline of a deployment (default 2h)")
	f.StringVar(&cfg.InstallerDir, "installer", "", "installer kernel + initramfs for per-host ISOs (default: the netboot installer_dir, else build/installer)")
	f.DurationVar(&cfg.MediaTTL, "media-ttl", 0, "how long a one-time media URL works at most (default 30m)")
	f.StringVar(&netbootFile, "netboot", "", "netboot YAML (DHCP/proxyDHCP interfaces, TFTP, RA); without it nothing is sent beyond --listen")
	f.DurationVar(&cfg.ImageCheckInterval, "image-check-interval", 6*time.Hour, "how often every image set is checked in full (every chunk read and hashed); 0: never")
	f.IntVar(&cfg.BuildConcurrency, "build-concurrency", 1, "image builds run at once; the rest queue")
	f.BoolVar(&debug, "debug", false, "debug logging")
	return cmd
}

// serverBuilders registers the image build backends for server builds:
// SOURCE_DATE_EPOCH applies to every build, downloaded packages are kept in
// DATA/cache/debs.
func serverBuilders(cfg *server.Config, log *slog.Logger) error {
	epoch, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	data, err := filepath.Abs(cmp.Or(cfg.DataDir, "ingot-data"))
	if err != nil {
		return err
	}
	cfg.BuildEpoch = epoch
	cfg.Builders, err = builders(epoch, filepath.Join(data, "cache", "debs"), log.With("component", "builder"))
	return err
}
