package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/netboot"
	"ingot.dev/ingot/server/auth"
	"ingot.dev/ingot/server/builds"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/hostimage"
	"ingot.dev/ingot/server/hostmedia"
	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/rollout"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/setcheck"
	"ingot.dev/ingot/server/sitekit"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
	"ingot.dev/ingot/server/store/sqlstore"
)

// node is one assembled server: what Run starts and closes.
type node struct {
	store     store.Store
	engine    *engine.Engine
	handler   http.Handler
	lock      *os.File
	netboot   func(context.Context) error // DHCP, TFTP, RA; nil when not configured
	rollouts  *rollout.Controller
	builds    *builds.Runner // nil without builders
	setChecks *setcheck.Scheduler
	hostImgs  *hostimage.Manager
}

func (n *node) close() {
	_ = n.store.Close()
	_ = n.lock.Close()
}

func assemble(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) (_ *node, err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n := &node{lock: lock}
	defer func() {
		if err != nil {
			_ = lock.Close()
		}
	}()
	box, err := secret.LoadOrCreateKey(filepath.Join(cfg.DataDir, "secret.key"))
	if err != nil {
		return nil, err
	}
	if n.store, err = sqlstore.Open(ctx, cfg.dsn()); err != nil {
		return nil, fmt.Errorf("opening state store: %w", err)
	}
	if err := bootstrapAdmin(ctx, n.store, cfg.AdminTokenFile, stdout); err != nil {
		return nil, err
	}
	if cfg.embedded() {
		// The data directory lock makes this the only engine: leases of a
		// crashed predecessor can be taken over at once.
		if err := n.store.ReleaseAll(ctx); err != nil {
			return nil, fmt.Errorf("releasing stale leases: %w", err)
		}
	}
	deriver, err := auth.NewDeriver(box.Derive("installer-token"))
	if err != nil {
		return nil, err
	}
	images, chunks, pub, err := openImages(cfg.DataDir, log.With("component", "chunks"))
	if err != nil {
		return nil, err
	}
	keys, err := sitekit.NewKeys(box.Derive)
	if err != nil {
		return nil, err
	}
	kits := sitekit.Service{Keys: keys, Src: sitekit.Images{Service: images.Service}}
	n.hostImgs = &hostimage.Manager{Store: n.store, Images: images.Service, TTL: cfg.HostImageTTL}
	media, err := hostmedia.New(hostmedia.Config{Store: n.store, Secret: deriver.InstallerSecret, Dir: filepath.Join(cfg.DataDir, "media"),
		InstallerDir: cfg.installerDir(), PublicURL: cfg.PublicURL, TTL: cfg.MediaTTL, Log: log.With("component", "media"), HostImages: n.hostImgs})
	if err != nil {
		return nil, err
	}
	reg := engine.NewRegistry()
	bmcs := &bmcConnector{creds: n.store, quirks: n.store, box: box, log: log.With("component", "bmc")}
	steps.Register(reg, steps.Deps{Hosts: n.store, Catalog: n.store, Signals: n.store, Events: n.store, Images: images,
		Tokens: &installerTokens{store: n.store, deriver: deriver}, BMC: bmcs, Media: media})
	n.engine, err = engine.New(n.store, reg, engine.Config{LeaseTTL: cfg.LeaseTTL, PollInterval: cfg.PollInterval, GlobalCap: cfg.GlobalCap, Workers: cfg.Workers}, log.With("component", "engine"))
	if err != nil {
		return nil, err
	}
	resolver := &bootResolver{store: n.store, deriver: deriver}
	mounts, err := n.setupNetboot(cfg, resolver, log.With("component", "netboot"))
	if err != nil {
		return nil, err
	}
	mounts["/v1/chunks/"] = chunks
	mounts["/media/"] = media
	plan := planner.New(n.store)
	n.rollouts = rollout.New(n.store, plan, rollout.Config{Wake: n.engine.Wake, Timeout: cfg.DefaultTimeout}, log.With("component", "rollout"))
	n.setChecks = &setcheck.Scheduler{Store: n.store, Images: deepChecker{images}, Interval: cfg.ImageCheckInterval, Log: log.With("component", "setcheck")}
	deps := httpapi.Deps{Store: n.store, Box: box, Planner: plan, Engine: n.engine, Images: images, Rollouts: n.rollouts, BMC: bmcs, Media: media,
		Log: log.With("component", "api"), Version: cfg.Version, DefaultTimeout: cfg.DefaultTimeout,
		PublicURL: cfg.PublicURL, SigningKey: pub, SetChecker: n.setChecks, HostImages: n.hostImgs, Kits: kits,
		InstallerSecret: deriver.InstallerSecret}
	if cfg.Builders != nil {
		if n.builds, err = newBuilds(cfg, n.store, images, log.With("component", "builds")); err != nil {
			return nil, err
		}
		deps.Builds = n.builds
	}
	n.handler = newHandler(n.store, deps, mounts)
	return n, nil
}

// newBuilds is the image build runner: work directories under
// DATA/builds, import files under DATA/imports.
func newBuilds(cfg Config, st store.Store, images imageService, log *slog.Logger) (*builds.Runner, error) {
	data, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return builds.New(st, images, builds.Config{
		Registry: cfg.Builders, Chunks: chunkstore.Sink{Store: images.Store},
		WorkRoot: filepath.Join(data, "builds"), ImportRoot: filepath.Join(data, "imports"),
		Concurrency: cfg.BuildConcurrency, Exclusive: cfg.embedded(), Epoch: cfg.BuildEpoch,
	}, log)
}

// lockDataDir takes an exclusive lock so two servers never share one data
// directory.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening data directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data directory %s is in use by another ingot serve; stop it or pass another --data", dir)
		}
		return nil, fmt.Errorf("locking data directory: %w", err)
	}
	return f, nil
}

// bootstrapAdmin creates the first admin token when there is no token at
// all, and prints it once. Only its hash is kept.
func bootstrapAdmin(ctx context.Context, st store.Store, file string, stdout io.Writer) error {
	n, err := st.CountTokens(ctx)
	if err != nil || n > 0 {
		return err
	}
	secret, hash := auth.NewSecret()
	if _, err := st.CreateToken(ctx, api.Token{Name: "admin", Scopes: []string{"admin"}}, hash); err != nil {
		return fmt.Errorf("creating the first admin token: %w", err)
	}
	fmt.Fprintf(stdout, "first start: admin token (shown once, keep it safe):\n%s\n", secret)
	if file != "" {
		if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing admin token file: %w", err)
		}
	}
	return nil
}

// setupNetboot prepares the netboot services and returns the HTTP handlers
// to mount (the boot scripts and files at /boot/).
func (n *node) setupNetboot(cfg Config, r *bootResolver, log *slog.Logger) (map[string]http.Handler, error) {
	mounts := map[string]http.Handler{}
	if cfg.Netboot == nil {
		return mounts, nil
	}
	nc, err := cfg.Netboot.config(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	r.base = nc.HTTPBase
	h, err := netboot.Handler(nc, r, log)
	if err != nil {
		return nil, err
	}
	mounts["/boot/"] = h
	n.netboot = func(ctx context.Context) error { return netboot.Serve(ctx, nc, r, leaseStore{n.store}, log) }
	return mounts, nil
}
