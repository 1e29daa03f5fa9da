package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

func sorted(d []time.Duration) []time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// pct is the nearest-rank p-th percentile (0 < p <= 1) of sorted s.
func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// printMix prints the latency of the mix, all requests and per operation.
func printMix(out io.Writer, cfg Config, r *result) {
	fmt.Fprintf(out, "   latency mix (%d clients; 60%% get, 20%% list, 10%% dry-run, 10%% update): %s\n", cfg.Clients, r.Load)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\top\tn\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	row := func(name string, s []time.Duration) {
		fmt.Fprintf(tw, "\t%s\t%d\t%s\t%s\t%s\t%s\t\n", name, len(s), ms(pct(s, .5)), ms(pct(s, .9)), ms(pct(s, .99)), ms(pct(s, 1)))
	}
	row("all", r.Mix)
	for _, op := range []string{"get", "list", "deploy", "update"} {
		row(op, sorted(r.MixByOp[op]))
	}
	tw.Flush()
	fmt.Fprintf(out, "   p99 %s ms vs target %s: %s\n", ms(pct(r.Mix, .99)), cfg.Target, verdict(cfg, r))
}

// verdict checks the p99 target, which applies to SQLite only.
func verdict(cfg Config, r *result) string {
	switch {
	case r.Err != nil:
		return "ERROR"
	case len(r.Mix) == 0:
		return "-"
	case r.Store != storeSQLite:
		return "info only"
	case pct(r.Mix, .99) < cfg.Target:
		return "PASS"
	default:
		return "FAIL"
	}
}

// printTable prints one line per store.
func printTable(out io.Writer, cfg Config, results []result) {
	if len(results) == 0 {
		return
	}
	fmt.Fprintf(out, "\nIngot API benchmark: %d hosts, %d dry-run deployments, %d clients x %d mixed requests\n",
		cfg.Hosts, cfg.Deploys, cfg.Clients, cfg.PerClient)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "store\thosts/s\thosts s\tdeploys/s\tsteps/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tp99 < "+cfg.Target.String()+"\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", r.Store,
			rate(r.Reg.N, r.Reg.Wall), r.Reg.Wall.Seconds(), rate(r.Dry.N, r.Dry.Wall), rate(int(r.Steps), r.Dry.Wall),
			ms(pct(r.Mix, .5)), ms(pct(r.Mix, .9)), ms(pct(r.Mix, .99)), ms(pct(r.Mix, 1)), verdict(cfg, &r))
	}
	tw.Flush()
}
