package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"ingot.dev/ingot/internal/pgtest"
)

const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
)

// result is what one store measured; zero phases were not measured.
type result struct {
	Store   string
	Reg     phase // host registration
	Dry     phase // dry-run deployments
	Steps   int64
	Load    phase           // the latency mix
	Mix     []time.Duration // sorted
	MixByOp map[string][]time.Duration
	Err     error
}

// phase is one timed run of N requests and the CPU it cost.
type phase struct {
	N         int
	Wall      time.Duration
	ServerCPU time.Duration
	ClientCPU time.Duration
	LoadAvg   string // 1-minute load average of the machine at the end
}

func (p phase) String() string {
	return fmt.Sprintf("%d in %.2fs: %.0f/s; CPU per request: server %.2f ms, benchmark %.2f ms; load %s",
		p.N, p.Wall.Seconds(), rate(p.N, p.Wall), perReq(p.ServerCPU, p.N), perReq(p.ClientCPU, p.N), p.LoadAvg)
}

func perReq(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d) / float64(time.Millisecond) / float64(n)
}

// measure runs fn, which makes n requests, and accounts its CPU.
func measure(pid, n int, fn func() (time.Duration, error)) (phase, error) {
	s0, _ := cpuTime(pid)
	c0, _ := cpuTime(os.Getpid())
	wall, err := fn()
	s1, _ := cpuTime(pid)
	c1, _ := cpuTime(os.Getpid())
	return phase{N: n, Wall: wall, ServerCPU: s1 - s0, ClientCPU: c1 - c0, LoadAvg: loadAvg()}, err
}

// benchAll measures every configured store, stopping at the first error.
func benchAll(ctx context.Context, cfg Config, out io.Writer) ([]result, error) {
	var results []result
	for _, s := range cfg.Stores {
		r := benchStore(ctx, cfg, s, out)
		results = append(results, r)
		if r.Err != nil {
			return results, fmt.Errorf("%s: %w", s, r.Err)
		}
	}
	return results, nil
}

// benchStore starts PostgreSQL (if asked) and ingot serve in a temporary
// directory, runs the phases and cleans everything up.
func benchStore(ctx context.Context, cfg Config, store string, out io.Writer) (r result) {
	r = result{Store: store}
	dir, err := os.MkdirTemp("", "ingot-bench-"+store+"-")
	if err != nil {
		r.Err = fmt.Errorf("creating temporary directory: %w", err)
		return r
	}
	defer os.RemoveAll(dir)
	database := ""
	if store == storePostgres {
		pg, err := pgtest.StartServer(ctx, "")
		if err != nil {
			r.Err = fmt.Errorf("starting postgresql: %w", err)
			return r
		}
		defer pg.Stop()
		if database, err = pg.CreateDatabase(ctx); err != nil {
			r.Err = err
			return r
		}
	}
	srv, err := startIngot(ctx, cfg.Ingot, dir, database)
	if err != nil {
		r.Err = err
		return r
	}
	fmt.Fprintf(out, "== %s: ingot serving on %s\n", store, srv.URL)
	r.Err = runPhases(ctx, cfg, srv, &r, out)
	r.Err = errors.Join(r.Err, srv.Stop())
	return r
}

// runPhases registers hosts, plans deployments and runs the latency mix.
func runPhases(ctx context.Context, cfg Config, srv *ingot, r *result, out io.Writer) error {
	c, pid := srv.Client(cfg.Clients+cfg.Workers), srv.cmd.Process.Pid
	if err := createCatalog(ctx, c); err != nil {
		return err
	}
	var err error
	r.Reg, err = measure(pid, cfg.Hosts, func() (time.Duration, error) {
		return registerHosts(ctx, c, cfg.Workers, cfg.Hosts)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   hosts registered: %s\n", r.Reg)
	r.Dry, err = measure(pid, cfg.Deploys, func() (wall time.Duration, err error) {
		wall, r.Steps, err = dryRuns(ctx, c, cfg.Workers, cfg.Deploys, cfg.Hosts)
		return wall, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   dry-run deployments: %s; %.0f steps/s\n", r.Dry, rate(int(r.Steps), r.Dry.Wall))
	var byOp map[string][]time.Duration
	r.Load, err = measure(pid, cfg.Clients*cfg.PerClient, func() (wall time.Duration, err error) {
		byOp, r.Mix, wall, err = mix(ctx, c, cfg.Clients, cfg.PerClient, cfg.Hosts)
		return wall, err
	})
	if err != nil {
		return fmt.Errorf("latency mix: %w", err)
	}
	r.Mix, r.MixByOp = sorted(r.Mix), byOp
	printMix(out, cfg, r)
	return nil
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
