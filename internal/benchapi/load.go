package main

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
)

// parallel calls fn for i in [0, n) from workers goroutines and returns each
// call's latency and the wall time. The first error stops the rest.
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	for range workers {
		g.Go(func() error {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				t := time.Now()
				if err := fn(gctx, i); err != nil {
					return err
				}
				lat[i] = time.Since(t)
			}
			return nil
		})
	}
	err := g.Wait()
	return lat, time.Since(start), err
}

// registerHosts creates n hosts and returns the wall time.
func registerHosts(ctx context.Context, c *client.Client, workers, n int) (time.Duration, error) {
	_, wall, err := parallel(ctx, workers, n, func(ctx context.Context, i int) error {
		if _, err := c.Hosts().Create(ctx, host(i)); err != nil {
			return fmt.Errorf("registering host %s: %w", hostName(i), err)
		}
		return nil
	})
	return wall, err
}

// dryRun plans a deployment of one host and returns its number of steps.
func dryRun(ctx context.Context, c *client.Client, name string) (int, error) {
	res, err := c.Deploy(ctx, api.DeployRequest{Hosts: []string{name}, DryRun: true})
	if err != nil {
		return 0, fmt.Errorf("dry-run deployment of %s: %w", name, err)
	}
	if len(res.Deployments) != 1 || len(res.Deployments[0].Steps) == 0 {
		return 0, fmt.Errorf("dry-run deployment of %s: got %d deployments, want 1 with steps", name, len(res.Deployments))
	}
	return len(res.Deployments[0].Steps), nil
}

// dryRuns plans n one-host deployments and returns the wall time and the
// number of steps planned.
func dryRuns(ctx context.Context, c *client.Client, workers, n, hosts int) (time.Duration, int64, error) {
	var steps atomic.Int64
	_, wall, err := parallel(ctx, workers, n, func(ctx context.Context, i int) error {
		s, err := dryRun(ctx, c, hostName(spread(i, hosts)))
		steps.Add(int64(s))
		return err
	})
	return wall, steps.Load(), err
}

// spread maps request i to a host, scattered over all of them.
func spread(i, hosts int) int { return (i * 7919) % hosts }

// The operations of the latency mix, by i%10.
var mixOps = [10]string{"get", "get", "get", "get", "get", "get", "list", "list", "deploy", "update"}

// mix runs clients×perClient requests of the mix and returns each request's
// latency grouped by operation, all of them, and the wall time.
func mix(ctx context.Context, c *client.Client, clients, perClient, hosts int) (map[string][]time.Duration, []time.Duration, time.Duration, error) {
	n := clients * perClient
	lat, wall, err := parallel(ctx, clients, n, func(ctx context.Context, i int) error {
		return mixOp(ctx, c, i, hosts)
	})
	byOp := map[string][]time.Duration{}
	for i, d := range lat {
		byOp[mixOps[i%10]] = append(byOp[mixOps[i%10]], d)
	}
	return byOp, lat, wall, err
}

func mixOp(ctx context.Context, c *client.Client, i, hosts int) error {
	j := spread(i, hosts)
	switch op := mixOps[i%10]; op {
	case "get":
		_, err := c.Hosts().Get(ctx, hostName(j))
		return wrapOp(op, hostName(j), err)
	case "list":
		q := url.Values{"hostgroup": {groupName(j % groups)}}
		p, err := c.Hosts().List(ctx, 50, "", q)
		if err == nil && len(p.Items) == 0 {
			err = fmt.Errorf("no hosts in hostgroup %s", q.Get("hostgroup"))
		}
		return wrapOp(op, groupName(j%groups), err)
	case "deploy":
		_, err := dryRun(ctx, c, hostName(j))
		return err
	default:
		h := host(j)
		h.Serial = fmt.Sprintf("BENCH%06d", i)
		_, err := c.Hosts().Put(ctx, h.Name, h)
		return wrapOp(op, h.Name, err)
	}
}

func wrapOp(op, name string, err error) error {
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	return nil
}
