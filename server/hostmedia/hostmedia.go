// Package hostmedia builds the per-host installer ISO of a running
// deployment (the deployment's installer token, the server URL and the
// host's static network baked into its kernel command line) and serves it
// over one-time URLs.
//
// A one-time URL has a random, unguessable path and works for one client:
// the first request (HEAD or GET, with or without Range) binds it to that
// client's address, and later requests from any other address are refused
// with 410 Gone. BMCs fetch an ISO with many Range requests over minutes,
// so "once" cannot mean one request. The URL stops working when its TTL
// ends, when it is revoked (the virtual media is ejected), and as soon as
// the deployment no longer waits for its installer (its installer token is
// then useless anyway). URLs live in the memory of the server that minted
// them: behind a load balancer, route /media/ to that replica.
package hostmedia

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/media"
)

// DefaultTTL is how long a one-time URL works at most.
const DefaultTTL = 30 * time.Minute

// FileName is the last path element of every URL: some BMCs insist on a
// name ending in .iso.
const FileName = "ingot.iso"

// ErrNotWaiting: the host has no deployment waiting for its installer.
var ErrNotWaiting = errors.New("no deployment waiting for its installer")

// Store is what the service reads.
type Store interface {
	GetHost(ctx context.Context, name string) (api.Host, error)
	GetDeployment(ctx context.Context, id api.DeploymentID) (api.Deployment, error)
	ActiveDeployment(ctx context.Context, host string) (api.Deployment, error)
}

// Config configures a Service.
type Config struct {
	Store Store
	// Secret returns the installer token of a deployment.
	Secret func(api.DeploymentID) string
	// Dir holds the built ISOs; it is emptied at start. Required.
	Dir string
	// InstallerDir holds vmlinuz and initramfs.cpio.gz. Default build/installer.
	InstallerDir string
	// PublicURL is the base URL hosts and BMCs reach the server at. Required.
	PublicURL string
	TTL       time.Duration // default DefaultTTL
	Log       *slog.Logger
	Now       func() time.Time
	// Build writes the image; default media.BuildHost.
	Build func(context.Context, media.Config, media.Host) error
	// HostImages, when set, gives a deployment its host image before its
	// ISO is minted, so the installer writes the host's image (the base
	// plus its config layer).
	HostImages interface {
		ForDeployment(ctx context.Context, d api.Deployment) (api.HostImage, error)
	}
}

// Service mints and serves one-time URLs. It is safe for concurrent use.
type Service struct {
	cfg   Config
	build sync.Mutex // one Mint at a time: builds are rare and heavy

	mu      sync.Mutex
	tickets map[string]*ticket // by the secret path element
}

type ticket struct {
	dep     api.DeploymentID
	iso     string
	expires time.Time
	client  string    // bound address; "" until the first request
	checked time.Time // last time the deployment was seen waiting
}

// New checks cfg and empties cfg.Dir.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Secret == nil || cfg.Dir == "" || cfg.PublicURL == "" {
		return nil, errors.New("hostmedia: Store, Secret, Dir and PublicURL are required")
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.InstallerDir == "" {
		cfg.InstallerDir = "build/installer"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Build == nil {
		cfg.Build = media.BuildHost
	}
	if err := os.RemoveAll(cfg.Dir); err != nil {
		return nil, fmt.Errorf("hostmedia: %w", err)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("hostmedia: %w", err)
	}
	return &Service{cfg: cfg, tickets: map[string]*ticket{}}, nil
}

// MintForHost builds (or reuses) the ISO of the host's deployment and
// returns a new one-time URL for it.
func (s *Service) MintForHost(ctx context.Context, host string) (api.MediaTicket, error) {
	d, err := s.cfg.Store.ActiveDeployment(ctx, host)
	if err != nil {
		return api.MediaTicket{}, fmt.Errorf("host %s: %w: deploy it first (ingot deploy %s)", host, ErrNotWaiting, host)
	}
	return s.Mint(ctx, d)
}

// Mint builds (or reuses) the ISO of deployment d and returns a new
// one-time URL for it. d must still wait for its installer.
func (s *Service) Mint(ctx context.Context, d api.Deployment) (api.MediaTicket, error) {
	if !waiting(d) {
		return api.MediaTicket{}, fmt.Errorf("deployment %s of host %s is %s: %w", d.ID, d.Host, phase(d), ErrNotWaiting)
	}
	if s.cfg.HostImages != nil {
		if _, err := s.cfg.HostImages.ForDeployment(ctx, d); err != nil {
			return api.MediaTicket{}, err
		}
	}
	s.build.Lock() // sweep must not delete an ISO between build and ticket
	defer s.build.Unlock()
	s.sweep()
	iso, err := s.image(ctx, d)
	if err != nil {
		return api.MediaTicket{}, err
	}
	id := rand.Text() + rand.Text() // 260 random bits
	now := s.cfg.Now()
	t := &ticket{dep: d.ID, iso: iso, expires: now.Add(s.cfg.TTL), checked: now}
	s.mu.Lock()
	s.tickets[id] = t
	s.mu.Unlock()
	path := "/media/" + id + "/" + FileName
	s.cfg.Log.InfoContext(ctx, "one-time media URL minted", "deployment", d.ID, "host", d.Host, "expires", t.expires)
	return api.MediaTicket{Deployment: d.ID, URL: s.cfg.PublicURL + path, Path: path, ExpiresAt: t.expires}, nil
}

// Revoke ends every URL of deployment id and deletes its ISO.
func (s *Service) Revoke(id api.DeploymentID) {
	s.mu.Lock()
	for k, t := range s.tickets {
		if t.dep == id {
			delete(s.tickets, k)
		}
	}
	s.mu.Unlock()
	_ = os.Remove(s.isoPath(id))
}

// sweep drops expired URLs and the ISOs no URL uses any more.
func (s *Service) sweep() {
	now := s.cfg.Now()
	used := map[string]bool{}
	s.mu.Lock()
	for k, t := range s.tickets {
		if now.After(t.expires) {
			delete(s.tickets, k)
			continue
		}
		used[t.iso] = true
	}
	s.mu.Unlock()
	isos, _ := filepath.Glob(filepath.Join(s.cfg.Dir, "*.iso"))
	for _, f := range isos {
		if !used[f] {
			_ = os.Remove(f)
		}
	}
}

func (s *Service) isoPath(id api.DeploymentID) string {
	return filepath.Join(s.cfg.Dir, base64.RawURLEncoding.EncodeToString([]byte(id))+".iso")
}
