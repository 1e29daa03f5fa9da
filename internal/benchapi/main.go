// Command benchapi measures Ingot's control plane through its real HTTP API:
// it starts `ingot serve` on SQLite and on PostgreSQL, registers hosts, plans
// dry-run deployments and measures request latency under a mixed load, then
// prints a report. `make bench` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchapi:", err)
		os.Exit(1)
	}
}

// Config is one benchmark run. Zero fields take the defaults of Validate.
type Config struct {
	Ingot      string        // path of the ingot binary; required
	Hosts      int           // hosts registered per store; default 10000
	Deploys    int           // dry-run deployments per store; default 1000
	Workers    int           // concurrent clients for hosts and deploys; default 32
	Clients    int           // concurrent clients of the latency mix; default 50
	PerClient  int           // requests per client of the latency mix; default 200
	Target     time.Duration // p99 target of the mix on SQLite; default 50ms
	Stores     []string      // stores to run, of "sqlite" and "postgres"
	CPUProfile string        // write a CPU profile of this process here
}

// Validate fills in defaults and checks the rest.
func (c *Config) Validate() error {
	if c.Ingot == "" {
		return errors.New("-ingot: the path of the ingot binary is required (make build writes bin/ingot)")
	}
	if _, err := os.Stat(c.Ingot); err != nil {
		return fmt.Errorf("-ingot: %w (run make build first)", err)
	}
	for _, v := range []struct {
		p   *int
		def int
	}{{&c.Hosts, 10000}, {&c.Deploys, 1000}, {&c.Workers, 32}, {&c.Clients, 50}, {&c.PerClient, 200}} {
		if *v.p <= 0 {
			*v.p = v.def
		}
	}
	if c.Target <= 0 {
		c.Target = 50 * time.Millisecond
	}
	if len(c.Stores) == 0 {
		c.Stores = []string{storeSQLite, storePostgres}
	}
	for _, s := range c.Stores {
		if s != storeSQLite && s != storePostgres {
			return fmt.Errorf("-stores: unknown store %q: want sqlite, postgres or both", s)
		}
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.CPUProfile != "" {
		stop, err := startProfile(cfg.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	results, err := benchAll(ctx, cfg, stdout)
	printTable(stdout, cfg, results)
	return err
}

func parseFlags(args []string, stderr io.Writer) (Config, error) {
	var cfg Config
	var stores string
	fs := flag.NewFlagSet("benchapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Ingot, "ingot", "", "path of the ingot binary")
	fs.IntVar(&cfg.Hosts, "hosts", 10000, "hosts to register per store")
	fs.IntVar(&cfg.Deploys, "deploys", 1000, "dry-run deployments per store")
	fs.IntVar(&cfg.Workers, "workers", 32, "concurrent clients registering hosts and deploying")
	fs.IntVar(&cfg.Clients, "clients", 50, "concurrent clients of the latency mix")
	fs.IntVar(&cfg.PerClient, "requests", 200, "requests per client of the latency mix")
	fs.DurationVar(&cfg.Target, "target", 50*time.Millisecond, "p99 latency target of the mix on SQLite")
	fs.StringVar(&stores, "stores", "sqlite,postgres", "stores to measure, comma-separated")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the benchmark client to this file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.Stores = splitList(stores)
	return cfg, cfg.Validate()
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
