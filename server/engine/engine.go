// Package engine runs deployments: a typed state machine, an ordered list of
// steps with undo (a saga), leases so that several servers can share one
// store, and a worker pool that advances claimed deployments.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// Store is the part of store.Store the engine uses.
type Store interface {
	ClaimDeployments(ctx context.Context, c store.Claim) ([]api.Deployment, error)
	SaveDeployment(ctx context.Context, lease store.Lease, d api.Deployment, wake time.Time, events []api.Event) error
	ReleaseDeployment(ctx context.Context, id api.DeploymentID, owner string) error
	GetDeployment(ctx context.Context, id api.DeploymentID) (api.Deployment, error)
	Signals(ctx context.Context, id api.DeploymentID) ([]api.Signal, error)
}

var _ Store = store.Store(nil)

// Config tunes an Engine. The zero value of every field means its default.
type Config struct {
	// Owner names this engine in leases; it must be unique among the
	// servers sharing a store. Default: "engine-" and 8 random hex digits.
	Owner string
	// LeaseTTL is how long a claim lasts without renewal; a long step renews
	// it every LeaseTTL/3. Default 30s.
	LeaseTTL time.Duration
	// PollInterval is how often the engine looks for runnable deployments
	// when nobody calls Wake. Default 2s.
	PollInterval time.Duration
	// GlobalCap is the most deployments started at once across all servers;
	// 0 means no cap.
	GlobalCap int
	// Workers is how many deployments this engine advances at once.
	// Default 8.
	Workers int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Metrics receives measurements; nil means none.
	Metrics Metrics
}

// Metrics receives the engine's measurements. Implementations must be
// fast and safe for concurrent use.
type Metrics interface {
	// StepFinished is called when a step's Do succeeds or fails.
	StepFinished(kind string, status api.StepStatus, took time.Duration)
	// DeploymentFinished is called when a deployment reaches a terminal
	// state; took runs from creation.
	DeploymentFinished(state api.DeploymentState, took time.Duration)
}

type noMetrics struct{}

func (noMetrics) StepFinished(string, api.StepStatus, time.Duration)    {}
func (noMetrics) DeploymentFinished(api.DeploymentState, time.Duration) {}

// Validate reports settings that cannot work. Zero values are fine: they
// mean the defaults.
func (c Config) Validate() error {
	var errs []error
	if c.LeaseTTL < 0 || (c.LeaseTTL > 0 && c.LeaseTTL < 10*time.Millisecond) {
		errs = append(errs, fmt.Errorf("lease TTL %v: want at least 10ms, or 0 for the default", c.LeaseTTL))
	}
	if c.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("poll interval %v: want a positive duration, or 0 for the default", c.PollInterval))
	}
	if c.GlobalCap < 0 {
		errs = append(errs, fmt.Errorf("global cap %d: want 0 (no cap) or more", c.GlobalCap))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers %d: want 0 (default) or more", c.Workers))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Owner == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.Owner = "engine-" + hex.EncodeToString(b[:])
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.Workers == 0 {
		c.Workers = 8
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	return c
}

// Engine advances deployments held in a Store.
type Engine struct {
	st   Store
	reg  *Registry
	cfg  Config
	log  *slog.Logger
	wake chan struct{}
}

// New returns an engine; call Run to start it.
func New(st Store, reg *Registry, cfg Config, log *slog.Logger) (*Engine, error) {
	if st == nil || reg == nil || log == nil {
		return nil, errors.New("engine: store, registry and logger are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("engine config: %w", err)
	}
	cfg = cfg.withDefaults()
	return &Engine{
		st:   st,
		reg:  reg,
		cfg:  cfg,
		log:  log.With("owner", cfg.Owner),
		wake: make(chan struct{}, 1),
	}, nil
}

// Owner is the name this engine uses in leases.
func (e *Engine) Owner() string { return e.cfg.Owner }

// Wake makes Run look for runnable deployments now instead of at the next
// poll. The API calls it after storing a deployment, a signal or a cancel
// request. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run claims and advances deployments until ctx ends. It returns nil after a
// clean stop, once every worker has returned.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, e.cfg.Workers)
	done := make(chan struct{}, e.cfg.Workers)
	tick := time.NewTicker(e.cfg.PollInterval)
	defer tick.Stop()
	for {
		for _, d := range e.claim(ctx, e.cfg.Workers-len(slots)) {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.advance(ctx, d)
				<-slots
				done <- struct{}{}
			}()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-e.wake:
		case <-done:
		}
	}
}

// claim leases up to free runnable deployments; errors are logged and the
// next poll tries again.
func (e *Engine) claim(ctx context.Context, free int) []api.Deployment {
	if free <= 0 || ctx.Err() != nil {
		return nil
	}
	ds, err := e.st.ClaimDeployments(ctx, store.Claim{
		Owner:     e.cfg.Owner,
		TTL:       e.cfg.LeaseTTL,
		Limit:     free,
		GlobalCap: e.cfg.GlobalCap,
		Now:       e.cfg.Now(),
	})
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("claiming deployments", "err", err)
		}
		return nil
	}
	return ds
}

// advance works on one claimed deployment until it ends, parks or the
// engine stops, then gives the lease back.
func (e *Engine) advance(ctx context.Context, d api.Deployment) {
	r := newRun(e, d)
	err := r.advance(ctx)
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		r.log.Info("lease lost; another engine owns the deployment")
		return
	case err != nil && ctx.Err() != nil:
		r.log.Info("engine stopping; deployment left for the next claim")
	case err != nil:
		r.log.Error("advancing deployment", "err", err)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := e.st.ReleaseDeployment(rctx, d.ID, e.cfg.Owner); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		r.log.Warn("releasing deployment", "err", err)
	}
}
