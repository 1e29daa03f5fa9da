// Package server assembles `ingot serve`: the data directory, the state
// store, the keys, the deployment engine and the HTTP API.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/imagebuild"
)

// Config is `ingot serve`'s configuration. The zero value plus Validate's
// defaults is the embedded single-node setup.
type Config struct {
	DataDir        string        // default ./ingot-data
	Database       string        // "" = SQLite in DataDir; postgres://... for PostgreSQL
	Listen         string        // default 127.0.0.1:7480 (loopback only)
	AdminTokenFile string        // also write the first admin token here (0600)
	AddrFile       string        // write the bound address here once listening
	PublicURL      string        // base URL machines reach the server at; default http://<listen address>
	Netboot        *NetbootFile  // DHCP/TFTP/HTTP boot; nil: nothing beyond the API listener
	GlobalCap      int           // deployments running at once; default 200
	Workers        int           // deployments advanced in parallel; default 16
	LeaseTTL       time.Duration // default 30s
	PollInterval   time.Duration // default 2s
	DefaultTimeout time.Duration // deployment deadline; default 2h
	InstallerDir   string        // installer kernel + initramfs for per-host ISOs; default the netboot one, else build/installer
	MediaTTL       time.Duration // lifetime of a one-time media URL; default 30m
	Version        string
	// Builders are the image build backends main registered; nil: the
	// server runs no builds (POST /v1/builds answers 501).
	Builders         *imagebuild.Registry
	BuildConcurrency int       // builds at once; default 1, the rest queue
	BuildEpoch       time.Time // SOURCE_DATE_EPOCH of server builds; zero: each build's start
	// ImageCheckInterval is how often every image set is checked in full
	// (every chunk read and hashed); 0: never (ingot serve's default is 6h).
	ImageCheckInterval time.Duration
	// HostImageTTL is how long a host image lives unless its deployment
	// succeeds first; default 24h.
	HostImageTTL time.Duration
}

// Validate fills in defaults and checks the rest.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		c.DataDir = "ingot-data"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:7480"
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen address %q: want host:port, e.g. 127.0.0.1:7480: %w", c.Listen, err)
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") && !strings.HasPrefix(c.Database, "sqlite:") {
		return fmt.Errorf("database %q: want postgres://... or sqlite:PATH (or nothing for SQLite in the data directory)", c.Database)
	}
	setDefault(&c.GlobalCap, 200)
	setDefault(&c.Workers, 16)
	setDefault(&c.LeaseTTL, 30*time.Second)
	setDefault(&c.PollInterval, 2*time.Second)
	setDefault(&c.DefaultTimeout, 2*time.Hour)
	setDefault(&c.BuildConcurrency, 1)
	setDefault(&c.HostImageTTL, 24*time.Hour)
	if c.Version == "" {
		c.Version = "dev"
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func (c *Config) installerDir() string {
	switch {
	case c.InstallerDir != "":
		return c.InstallerDir
	case c.Netboot != nil && c.Netboot.InstallerDir != "":
		return c.Netboot.InstallerDir
	}
	return "build/installer"
}

func (c *Config) embedded() bool { return c.Database == "" || strings.HasPrefix(c.Database, "sqlite:") }

func (c *Config) dsn() string {
	if c.Database == "" {
		return filepath.Join(c.DataDir, "ingot.db")
	}
	return c.Database
}

// Run serves until ctx ends, then shuts down gracefully.
func Run(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	defer ln.Close()
	addr := "http://" + ln.Addr().String()
	if cfg.PublicURL == "" {
		cfg.PublicURL = addr
	}
	n, err := assemble(ctx, cfg, log, stdout)
	if err != nil {
		return err
	}
	defer n.close()
	fmt.Fprintf(stdout, "ingot serving on %s (data %s)\n", addr, cfg.DataDir)
	if cfg.AddrFile != "" {
		if err := os.WriteFile(cfg.AddrFile, []byte(addr+"\n"), 0o644); err != nil {
			return fmt.Errorf("writing address file: %w", err)
		}
	}
	srv := &http.Server{Handler: n.handler, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.engine.Run(gctx) })
	g.Go(func() error { return n.rollouts.Run(gctx) })
	if n.builds != nil {
		g.Go(func() error { return n.builds.Run(gctx) })
	}
	g.Go(func() error { return n.setChecks.Run(gctx) })
	g.Go(func() error { return n.hostImgs.Run(gctx, time.Minute, log.With("component", "hostimage")) })
	if n.netboot != nil {
		g.Go(func() error { return n.netboot(gctx) })
	}
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	err = g.Wait()
	log.Info("ingot stopped")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
