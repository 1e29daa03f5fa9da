// Package builds runs image builds as server jobs: it accepts a recipe,
// queues it in the state store, runs it through the imagebuild registry
// main filled (at most Concurrency at a time), keeps its phase, progress and
// a bounded log, cancels it on request, registers the signed result and
// puts it in an image set variant.
package builds

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/server/store"
)

// Store is the state the runner keeps and the catalog it registers into.
type Store interface {
	store.Builds
	CreateImage(ctx context.Context, img api.Image) (api.Image, error)
	GetImageSet(ctx context.Context, name string) (api.ImageSet, error)
	CreateImageSet(ctx context.Context, s api.ImageSet) (api.ImageSet, error)
	UpdateImageSet(ctx context.Context, s api.ImageSet) (api.ImageSet, error)
}

// Images registers a built image's manifest (server/chunkstore.Service).
type Images interface {
	// Finalize checks m's chunks are stored, signs and stores m, and
	// returns the signed bytes and the image ID.
	Finalize(ctx context.Context, m manifest.Manifest) ([]byte, string, error)
	// Release drops the image's hold on its chunks.
	Release(ctx context.Context, id string) error
}

// Config tunes the runner.
type Config struct {
	Registry *imagebuild.Registry // required: the backends main registered
	Chunks   chunker.Sink         // required: where published chunks go
	WorkRoot string               // required, absolute: parent of every build's work directory
	// ImportRoot is where the files of import recipes must be: a recipe's
	// file is a path relative to it. Empty: import recipes are refused.
	ImportRoot  string
	Concurrency int           // builds at once; default 1, the rest queue
	LogLines    int           // newest log lines kept per build; default 2000
	Poll        time.Duration // queue poll and liveness interval; default 1s
	// StaleAfter is how long a running build's owner may stay silent
	// before the build is failed as interrupted; default 30 × Poll.
	StaleAfter time.Duration
	// Exclusive says no other server shares the store (embedded SQLite):
	// at start every running build is a leftover of a previous run.
	Exclusive bool
	Epoch     time.Time // SOURCE_DATE_EPOCH for every build; zero: each build's start
	Level     int       // zstd level; default 3
	Owner     string    // this runner's name in the store; default random
	Now       func() time.Time
}

// Validate fills defaults and checks the rest.
func (c *Config) Validate() error {
	switch {
	case c.Registry == nil:
		return errors.New("builds: no builder registry")
	case c.Chunks == nil:
		return errors.New("builds: no chunk sink")
	case !filepath.IsAbs(c.WorkRoot):
		return fmt.Errorf("builds: work root %q: want an absolute path", c.WorkRoot)
	case c.ImportRoot != "" && !filepath.IsAbs(c.ImportRoot):
		return fmt.Errorf("builds: import root %q: want an absolute path", c.ImportRoot)
	}
	c.Concurrency = cmpOr(c.Concurrency, 1)
	c.LogLines = cmpOr(c.LogLines, 2000)
	c.Poll = cmpOr(c.Poll, time.Second)
	c.StaleAfter = cmpOr(c.StaleAfter, 30*c.Poll)
	c.Level = cmpOr(c.Level, 3)
	if c.Owner == "" {
		c.Owner = "builds-" + rand.Text()[:12]
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Runner accepts and runs builds.
type Runner struct {
	store  Store
	images Images
	cfg    Config
	log    *slog.Logger
	wake   chan struct{}
	slots  chan struct{}

	mu      sync.Mutex
	running map[api.BuildID]context.CancelCauseFunc
}

// New returns a runner; Run starts its work.
func New(st Store, images Images, cfg Config, log *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Runner{store: st, images: images, cfg: cfg, log: log, wake: make(chan struct{}, 1),
		slots: make(chan struct{}, cfg.Concurrency), running: map[api.BuildID]context.CancelCauseFunc{}}, nil
}

// Submit checks req (pure: the recipe is decoded strictly and validated by
// its backend) and queues the build. Bad input is a *imagebuild.FieldError
// whose Path is relative to the request body.
func (r *Runner) Submit(ctx context.Context, req api.BuildRequest, by string) (api.Build, error) {
	rec, err := r.check(req)
	if err != nil {
		return api.Build{}, err
	}
	now := r.cfg.Now().UTC().Truncate(time.Microsecond) // as the store keeps it
	b := api.Build{
		ID:   api.BuildID(fmt.Sprintf("bld_%012x%s", now.UnixMilli(), strings.ToLower(rand.Text()[:8]))),
		Name: rec.Name, Backend: rec.Backend, Recipe: recipeJSON(rec), ImageSet: TargetSet(req),
		SecureBoot: req.SecureBoot, State: api.BuildQueued, Phase: api.PhaseQueued, Percent: -1,
		CreatedBy: by, CreatedAt: now,
	}
	if err := r.store.CreateBuild(ctx, b); err != nil {
		return api.Build{}, err
	}
	r.Wake()
	return b, nil
}

// Cancel cancels a queued build, or stops a running one: its context ends,
// its work directory is removed and nothing is registered.
func (r *Runner) Cancel(ctx context.Context, id api.BuildID) (api.Build, error) {
	b, err := r.store.CancelBuild(ctx, id, r.cfg.Now())
	if err != nil {
		return api.Build{}, err
	}
	r.mu.Lock()
	cancel := r.running[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel(errCancelRequested)
	}
	return b, nil
}

// Wake makes the runner look for queued builds now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
