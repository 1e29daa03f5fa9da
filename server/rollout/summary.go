package rollout

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// Creator stores new rollouts and reads the hostgroup's hosts.
type Creator interface {
	GetHostgroup(ctx context.Context, name string) (api.Hostgroup, error)
	ListHosts(ctx context.Context, f store.HostFilter) (api.Page[api.Host], error)
	CreateRollout(ctx context.Context, r api.Rollout) error
}

// Start freezes the hostgroup's hosts, sorted by name, into r and stores
// it; the controller picks it up at its next pass.
func Start(ctx context.Context, st Creator, r api.Rollout, by string) (api.Rollout, error) {
	g, err := st.GetHostgroup(ctx, r.Hostgroup)
	if err != nil {
		return r, fmt.Errorf("rollout of hostgroup %s: %w", r.Hostgroup, err)
	}
	r.ImageSet, r.Hosts = g.ImageSet, nil
	f := store.HostFilter{Hostgroup: g.Name, ListOptions: store.ListOptions{Limit: 1000}}
	for {
		page, err := st.ListHosts(ctx, f)
		if err != nil {
			return r, fmt.Errorf("rollout of hostgroup %s: listing hosts: %w", g.Name, err)
		}
		for _, h := range page.Items {
			r.Hosts = append(r.Hosts, h.Name)
		}
		if f.Cursor = page.NextCursor; f.Cursor == "" {
			break
		}
	}
	sort.Strings(r.Hosts)
	r.ID = api.RolloutID("ro_" + rand.Text()[:16])
	r.CreatedBy, r.CreatedAt, r.FinishedAt = by, time.Now().UTC(), time.Time{}
	if err := st.CreateRollout(ctx, r); err != nil {
		return r, err
	}
	return r, nil
}

// Summary reads the rollout and where each of its hosts stands.
func (c *Controller) Summary(ctx context.Context, id api.RolloutID) (api.RolloutSummary, error) {
	r, err := c.st.GetRollout(ctx, id)
	if err != nil {
		return api.RolloutSummary{}, err
	}
	ds, err := c.deployments(ctx, r)
	if err != nil {
		return api.RolloutSummary{}, err
	}
	return summarize(r, ds), nil
}

func summarize(r api.Rollout, ds map[string]api.Deployment) api.RolloutSummary {
	s := api.RolloutSummary{Rollout: r, Counts: map[api.RolloutPhase]int{}, Canaries: map[api.RolloutPhase]int{}}
	for i, h := range r.Hosts {
		d, ok := ds[h]
		ph := phase(d, ok)
		s.Counts[ph]++
		if i < r.Canary {
			s.Canaries[ph]++
		}
		if ph == api.PhaseFailed {
			s.Failures = append(s.Failures, api.RolloutFailure{Host: h, Deployment: d.ID, Error: d.Error})
		}
	}
	p := decide(r, ds)
	switch {
	case p.stopped:
		s.State = "stopped"
	case p.finished || !r.FinishedAt.IsZero():
		s.State = "done"
	default:
		s.State = "running"
	}
	return s
}
