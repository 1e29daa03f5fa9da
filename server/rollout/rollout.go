// Package rollout deploys a hostgroup in phases: canaries first, then
// batches, stopping at a failure threshold. A rollout keeps only its plan;
// where it stands is derived each time from the deployments it created
// (tagged by CreatedBy), so a restarted server resumes it and never starts
// a host twice.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/store"
)

// Store is the part of the state store rollouts use.
type Store interface {
	ActiveRollouts(ctx context.Context) ([]api.Rollout, error)
	GetRollout(ctx context.Context, id api.RolloutID) (api.Rollout, error)
	FinishRollout(ctx context.Context, id api.RolloutID, at time.Time) error
	ListDeployments(ctx context.Context, f store.DeploymentFilter) (api.Page[api.Deployment], error)
	CreateDeployments(ctx context.Context, ds []api.Deployment) error
}

// Planner plans one host's deployment.
type Planner interface {
	Plan(ctx context.Context, host string, opts planner.Options) (api.Deployment, error)
}

var (
	_ Store   = store.Store(nil)
	_ Planner = (*planner.Planner)(nil)
)

// Config tunes a Controller.
type Config struct {
	Interval time.Duration // between passes; default 2s
	Timeout  time.Duration // deployment deadline when the rollout has none; default planner's
	Wake     func()        // called after deployments were created (engine.Wake); optional
}

// Controller starts the deployments of every active rollout when their
// turn comes. One runs per server.
type Controller struct {
	st   Store
	plan Planner
	cfg  Config
	log  *slog.Logger
}

// New returns a controller.
func New(st Store, plan Planner, cfg Config, log *slog.Logger) *Controller {
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	return &Controller{st: st, plan: plan, cfg: cfg, log: log}
}

// Tag is the CreatedBy of the deployments a rollout creates.
func Tag(id api.RolloutID) string { return "rollout:" + string(id) }

// Run advances the active rollouts every Interval until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		if err := c.Tick(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("advancing rollouts", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick advances every active rollout once.
func (c *Controller) Tick(ctx context.Context) error {
	rs, err := c.st.ActiveRollouts(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rs {
		errs = append(errs, c.advance(ctx, r))
	}
	return errors.Join(errs...)
}

// advance starts what is due in r and finishes r when nothing more will start.
func (c *Controller) advance(ctx context.Context, r api.Rollout) error {
	ds, err := c.deployments(ctx, r)
	if err != nil {
		return err
	}
	p := decide(r, ds)
	if p.finished {
		return c.st.FinishRollout(ctx, r.ID, time.Now())
	}
	started := 0
	for _, h := range p.start {
		ok, err := c.startHost(ctx, r, h)
		if err != nil {
			return err
		}
		if ok {
			started++
		}
	}
	if started > 0 {
		c.log.Info("rollout started deployments", "rollout", r.ID, "count", started)
		c.cfg.Wake()
	}
	return nil
}

// startHost plans and creates the host's deployment. A host that has
// another active deployment is left for a later pass.
func (c *Controller) startHost(ctx context.Context, r api.Rollout, host string) (bool, error) {
	timeout := c.cfg.Timeout
	if r.Timeout != "" {
		if v, err := time.ParseDuration(r.Timeout); err == nil {
			timeout = v
		}
	}
	d, err := c.plan.Plan(ctx, host, planner.Options{CreatedBy: Tag(r.ID), Timeout: timeout})
	if err != nil {
		c.log.Warn("rollout cannot plan host", "rollout", r.ID, "host", host, "err", err)
		return false, nil
	}
	err = c.st.CreateDeployments(ctx, []api.Deployment{d})
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		c.log.Warn("rollout host busy, retrying later", "rollout", r.ID, "host", host, "err", err)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rollout %s: creating deployment of host %s: %w", r.ID, host, err)
	}
	return true, nil
}

// deployments returns the latest deployment the rollout created per host.
func (c *Controller) deployments(ctx context.Context, r api.Rollout) (map[string]api.Deployment, error) {
	out := map[string]api.Deployment{}
	f := store.DeploymentFilter{Hostgroup: r.Hostgroup, ListOptions: store.ListOptions{Limit: 1000}}
	for {
		page, err := c.st.ListDeployments(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("rollout %s: listing deployments: %w", r.ID, err)
		}
		for _, d := range page.Items {
			if d.CreatedBy == Tag(r.ID) {
				out[d.Host] = d
			}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}
