package builds

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
)

// job is one running build: its record (guarded by mu) and its log.
type job struct {
	r   *Runner
	log *slog.Logger // writes into the build's log

	mu sync.Mutex
	b  api.Build

	saving sync.Mutex // saves in order: an older snapshot never overwrites a newer one
}

func newJob(r *Runner, b api.Build) *job {
	j := &job{r: r, b: b}
	j.log = slog.New(slog.NewTextHandler(&logWriter{j: j}, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey { // every line has its time already
				return slog.Attr{}
			}
			return a
		},
	}))
	return j
}

func (j *job) id() api.BuildID { return j.b.ID } // the ID never changes

// run builds, publishes and registers. The work directory is gone when it
// returns; a build cancelled before registration registers nothing.
func (j *job) run(ctx context.Context) error {
	rec, err := j.r.resolve(j.b.Recipe)
	if err != nil {
		return err
	}
	j.logf("build %s: recipe %s, backend %s, into image set %s", j.id(), rec.Name, rec.Backend, j.b.ImageSet)
	art, err := imagebuild.Build(ctx, j.r.cfg.Registry, rec, imagebuild.Config{
		WorkRoot: j.r.cfg.WorkRoot, Epoch: j.r.cfg.Epoch, Logger: j.log,
		Phase: func(p string) { j.phase(ctx, api.BuildPhase(p), -1) },
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := art.Remove(); err != nil {
			j.logf("removing the work directory: %v", err)
		}
	}()
	j.phase(ctx, api.PhasePublish, 0)
	m, err := imagebuild.PublishProgress(ctx, art, j.r.cfg.Chunks, chunker.Options{Level: j.r.cfg.Level}, func(done, total int64) {
		if total > 0 {
			j.progress(int(100 * done / total))
		}
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Registration is short and is not cancelled half-way.
	ctx = context.WithoutCancel(ctx)
	j.phase(ctx, api.PhaseRegister, -1)
	return j.register(ctx, m)
}

// register signs and records the image, then puts it in the image set.
func (j *job) register(ctx context.Context, m *manifest.Manifest) error {
	_, id, err := j.r.images.Finalize(ctx, *m)
	if err != nil {
		return fmt.Errorf("registering the image: %w", err)
	}
	img := api.Image{ID: id, Name: m.Name, Arch: api.Arch(m.Arch), Firmware: api.Firmware(m.Firmware),
		OS: strings.TrimSpace(m.OS.ID + " " + m.OS.Version), Size: m.Size()}
	if _, err := j.r.store.CreateImage(ctx, img); err != nil && !isConflict(err) {
		return fmt.Errorf("registering image %s: %w", id, releaseOnError(ctx, j.r.images, id, err))
	}
	j.mu.Lock()
	j.b.Image = id
	j.mu.Unlock()
	j.logf("registered image %s (%d payloads, %d MiB)", id, len(m.Payloads), m.Size()>>20)
	keys, err := landInSet(ctx, j.r.store, j.b.ImageSet, img, j.b.SecureBoot)
	if err != nil {
		return fmt.Errorf("image %s is registered, but putting it in image set %s failed: %w", id, j.b.ImageSet, err)
	}
	j.logf("image set %s: variant %s now image %s", j.b.ImageSet, strings.Join(keys, ", "), id)
	return nil
}

func releaseOnError(ctx context.Context, images Images, id string, err error) error {
	if rerr := images.Release(ctx, id); rerr != nil {
		return fmt.Errorf("%w (and releasing its chunks: %v)", err, rerr)
	}
	return err
}

// phase records that the build entered p and saves at once.
func (j *job) phase(ctx context.Context, p api.BuildPhase, percent int) {
	j.mu.Lock()
	j.b.Phase, j.b.Percent = p, percent
	j.mu.Unlock()
	j.logf("phase %s", p)
	if _, err := j.save(ctx); err != nil && ctx.Err() == nil {
		j.r.log.Warn("saving build phase", "build", j.id(), "phase", p, "err", err)
	}
}

// progress sets the phase's percentage; the next save records it.
func (j *job) progress(percent int) {
	j.mu.Lock()
	j.b.Percent = min(max(percent, 0), 100)
	j.mu.Unlock()
}

func (j *job) save(ctx context.Context) (api.Build, error) {
	j.saving.Lock()
	defer j.saving.Unlock()
	j.mu.Lock()
	b := j.b
	j.mu.Unlock()
	return j.r.store.SaveBuild(ctx, j.r.cfg.Owner, b, j.r.cfg.Now())
}

// logf adds one line to the build's log.
func (j *job) logf(format string, args ...any) {
	j.appendLog(fmt.Sprintf(format, args...))
}

func (j *job) appendLog(lines ...string) {
	ll := make([]api.BuildLogLine, len(lines))
	now := j.r.cfg.Now().UTC()
	for i, l := range lines {
		ll[i] = api.BuildLogLine{Time: now, Line: l}
	}
	if err := j.r.store.AppendBuildLog(context.Background(), j.id(), ll, j.r.cfg.LogLines); err != nil {
		j.r.log.Warn("writing a build's log", "build", j.id(), "err", err)
	}
}

// logWriter turns what a slog handler writes into log lines.
type logWriter struct{ j *job }

func (w *logWriter) Write(p []byte) (int, error) {
	w.j.appendLog(strings.Split(strings.TrimRight(string(p), "\n"), "\n")...)
	return len(p), nil
}
