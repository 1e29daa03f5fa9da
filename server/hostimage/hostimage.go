// Package hostimage materializes transient per-host images: a hostgroup's
// base image plus the host's config layer (its files rendered by
// installer/hostconfig and packed deterministically), so that only the
// layer's chunks and a manifest are new. Host images are recorded with an
// expiry, removed after their deployment succeeds or when they expire, and
// their chunks are reference-counted like any image's.
package hostimage

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/hostconfig"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/internal/periodic"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
)

// Store is what the manager reads and records.
type Store interface {
	store.HostImages
	GetHost(ctx context.Context, name string) (api.Host, error)
	GetHostgroup(ctx context.Context, name string) (api.Hostgroup, error)
	GetDeployment(ctx context.Context, id api.DeploymentID) (api.Deployment, error)
}

// Manager makes and removes host images in one chunk store.
type Manager struct {
	Store  Store
	Images *chunkstore.Service
	TTL    time.Duration // lifetime of a host image; default 24h
	Now    func() time.Time
}

// Request names the host and its base image.
type Request struct {
	Host       string
	Base       string           // the base image ID (the variant the host would get)
	Deployment api.DeploymentID // optional: remove the host image once it succeeds
}

// Result is a materialized host image and what it cost.
type Result struct {
	Image     api.HostImage
	NewChunks int           // chunks the chunk store did not hold
	Took      time.Duration // rendering, chunking, signing, recording
}

// Config is the host's config as the installer writes it, from the host's
// values and its hostgroup's first-boot config (no phone-home: the caller
// adds the deployment's).
func Config(h api.Host, g api.Hostgroup) plan.HostConfig {
	hostname := h.Values.Hostname
	if hostname == "" {
		hostname = h.Name
	}
	return plan.HostConfig{
		Hostname: hostname, SSHKeys: h.Values.SSHKeys, Addresses: h.Values.Addresses,
		PasswordHash: h.Values.PasswordHash, Files: h.Values.Files,
		UserData: g.FirstBoot.UserData, Packages: g.FirstBoot.Packages, RunCmd: g.FirstBoot.RunCmd,
	}
}

// Materialize renders the host's config layer, stores its chunks, signs a
// manifest of the base's payloads plus the layer, and records the image.
func (m *Manager) Materialize(ctx context.Context, req Request) (Result, error) {
	start := m.now()
	h, err := m.Store.GetHost(ctx, req.Host)
	if err != nil {
		return Result{}, err
	}
	g, err := m.Store.GetHostgroup(ctx, h.Hostgroup)
	if err != nil {
		return Result{}, fmt.Errorf("host %s: %w", h.Name, err)
	}
	base, err := m.manifest(req.Base)
	if err != nil {
		return Result{}, err
	}
	opts := hostconfig.Options{Deployment: "host-" + h.Name}
	if len(h.MACs) > 0 {
		opts.BootMAC = h.MACs[0].String()
	}
	files, err := hostconfig.Render(Config(h, g), opts)
	if err != nil {
		return Result{}, fmt.Errorf("rendering the config of host %s: %w", h.Name, err)
	}
	layer, err := Layer(files, base.Created)
	if err != nil {
		return Result{}, err
	}
	sink := &countingSink{Sink: chunkstore.Sink{Store: m.Images.Store}}
	res, err := chunker.Chunk(ctx, bytes.NewReader(layer), sink, chunker.Options{})
	if err != nil {
		return Result{}, fmt.Errorf("storing the config layer of host %s: %w", h.Name, err)
	}
	hm := base
	hm.Name = truncate(base.Name+"+"+h.Name, 128)
	hm.Payloads = append(append([]manifest.Payload(nil), base.Payloads...), manifest.Payload{
		Role: "config", Kind: manifest.KindConfigTar, Size: res.Size, ChunkSize: manifest.DefaultChunkSize, Chunks: res.Chunks})
	signed, id, err := m.Images.Finalize(ctx, hm)
	if err != nil {
		return Result{}, fmt.Errorf("signing the host image of %s: %w", h.Name, err)
	}
	now := m.now()
	hi := api.HostImage{ID: id, Host: h.Name, Base: req.Base, Deployment: req.Deployment,
		NewBytes: sink.bytes.Load() + int64(len(signed)), CreatedAt: now, ExpiresAt: now.Add(m.ttl())}
	if err := m.Store.PutHostImage(ctx, hi); err != nil {
		return Result{}, errors.Join(err, m.Images.Store.Unref(ctx, id))
	}
	return Result{Image: hi, NewChunks: int(sink.n.Load()), Took: now.Sub(start)}, nil
}

// For returns the live host image among his made for deployment dep on
// base, if there is one.
func For(his []api.HostImage, dep api.DeploymentID, base string, now time.Time) (api.HostImage, bool) {
	for _, hi := range his {
		if hi.Deployment == dep && hi.Base == base && now.Before(hi.ExpiresAt) {
			return hi, true
		}
	}
	return api.HostImage{}, false
}

// ForDeployment returns the host image of deployment d (on the image d
// installs), materializing it if there is none, for media that carry the
// host's image: site kits and per-host ISOs. d's plan then names it.
func (m *Manager) ForDeployment(ctx context.Context, d api.Deployment) (api.HostImage, error) {
	base := steps.ImageOf(d)
	his, err := m.Store.ListHostImages(ctx)
	if err != nil {
		return api.HostImage{}, err
	}
	if hi, ok := For(his, d.ID, base, m.now()); ok {
		return hi, nil
	}
	res, err := m.Materialize(ctx, Request{Host: d.Host, Base: base, Deployment: d.ID})
	if err != nil {
		return api.HostImage{}, fmt.Errorf("host image of %s for deployment %s: %w", d.Host, d.ID, err)
	}
	return res.Image, nil
}

// manifest reads and verifies a stored image's manifest.
func (m *Manager) manifest(id string) (manifest.Manifest, error) {
	signed, err := m.Images.Manifests.Get(id)
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("base image: %w", err)
	}
	mf, err := manifest.Verify(signed, m.Images.Key.Public().(ed25519.PublicKey))
	if err != nil {
		return manifest.Manifest{}, fmt.Errorf("base image %s: %w", id, err)
	}
	return *mf, nil
}

// Remove drops a host image: its chunk references (GC reclaims what only
// it used), its manifest and its record.
func (m *Manager) Remove(ctx context.Context, id string) error {
	if err := m.Images.Store.Unref(ctx, id); err != nil {
		return fmt.Errorf("removing host image %s: %w", id, err)
	}
	if err := m.Images.Manifests.Delete(id); err != nil {
		return err
	}
	err := m.Store.DeleteHostImage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// Sweep removes the host images that expired or whose deployment
// succeeded, and returns how many it removed.
func (m *Manager) Sweep(ctx context.Context) (int, error) {
	his, err := m.Store.ListHostImages(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, hi := range his {
		done, err := m.done(ctx, hi)
		if err != nil {
			return n, err
		}
		if !done {
			continue
		}
		if err := m.Remove(ctx, hi.ID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Run sweeps every interval until ctx ends.
func (m *Manager) Run(ctx context.Context, interval time.Duration, log *slog.Logger) error {
	return periodic.Run(ctx, interval, log, "sweeping host images", func(ctx context.Context) error {
		n, err := m.Sweep(ctx)
		if n > 0 {
			log.Info("removed host images", "count", n)
		}
		return err
	})
}

// unrecordedGrace is how long a host image may wait for its deployment to
// be recorded.
const unrecordedGrace = 10 * time.Minute

func (m *Manager) done(ctx context.Context, hi api.HostImage) (bool, error) {
	if !m.now().Before(hi.ExpiresAt) {
		return true, nil
	}
	if hi.Deployment == "" {
		return false, nil
	}
	d, err := m.Store.GetDeployment(ctx, hi.Deployment)
	if errors.Is(err, store.ErrNotFound) {
		// Kits make host images before their deployments are recorded:
		// one still missing after the grace was never made.
		return m.now().Sub(hi.CreatedAt) > unrecordedGrace, nil
	}
	return err == nil && d.State == api.DeploymentSucceeded, err
}

func (m *Manager) now() time.Time {
	if m.Now == nil {
		return time.Now().UTC()
	}
	return m.Now().UTC()
}

func (m *Manager) ttl() time.Duration {
	if m.TTL <= 0 {
		return 24 * time.Hour
	}
	return m.TTL
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// countingSink counts the chunks and compressed bytes the store did not
// hold; the chunker puts from several goroutines.
type countingSink struct {
	chunkstore.Sink
	n, bytes atomic.Int64
}

func (s *countingSink) Put(ctx context.Context, h manifest.Hash, b []byte) error {
	s.n.Add(1)
	s.bytes.Add(int64(len(b)))
	return s.Sink.Put(ctx, h, b)
}
