package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/store"
)

// InstallerTokenParams say how long the installer token lives.
type InstallerTokenParams struct {
	TTL Duration `json:"ttl"`
}

// InstallerToken issues the deployment's installer token, bound to its host.
type InstallerToken struct {
	deps Deps
	d    api.Deployment
	ttl  time.Duration
}

func (deps Deps) installerToken(d api.Deployment, _ int, raw json.RawMessage) (engine.Step, error) {
	var p InstallerTokenParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	if p.TTL <= 0 {
		return nil, errors.New("params: ttl is required and must be positive")
	}
	return &InstallerToken{deps: deps, d: d, ttl: time.Duration(p.TTL)}, nil
}

// Do implements engine.Step.
func (t *InstallerToken) Do(ctx context.Context) error {
	if err := t.deps.Tokens.IssueInstaller(ctx, t.d, t.ttl); err != nil {
		return fmt.Errorf("issuing installer token for host %s: %w", t.d.Host, err)
	}
	return nil
}

// Undo implements engine.Step: it revokes the token.
func (t *InstallerToken) Undo(ctx context.Context) error {
	if err := t.deps.Tokens.RevokeInstaller(ctx, t.d.ID); err != nil {
		return fmt.Errorf("revoking installer token of %s: %w", t.d.ID, err)
	}
	return nil
}

// SetBootParams record the host's boot decision and state before the
// deployment, so that Undo can put them back.
type SetBootParams struct {
	PreviousBoot  api.BootDecision `json:"previous_boot,omitempty"`
	PreviousState api.HostState    `json:"previous_state,omitempty"`
}

// SetBoot points the host's network boot at the installer and marks it
// deploying.
type SetBoot struct {
	deps Deps
	d    api.Deployment
	p    SetBootParams
}

func (deps Deps) setBoot(d api.Deployment, _ int, raw json.RawMessage) (engine.Step, error) {
	var p SetBootParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	return &SetBoot{deps: deps, d: d, p: p}, nil
}

// Do implements engine.Step.
func (s *SetBoot) Do(ctx context.Context) error {
	return setHost(ctx, s.deps.Hosts, s.d.Host, api.BootInstaller, api.HostDeploying)
}

// Undo implements engine.Step: it restores the previous boot decision and
// state, unless the installer got as far as reporting: then the disk may be
// half-written, so the host stays on the installer (held in iPXE until a
// retry) and is marked failed. A host deleted meanwhile has nothing to
// restore.
func (s *SetBoot) Undo(ctx context.Context) error {
	boot, state := s.p.PreviousBoot, s.p.PreviousState
	touched, err := s.installerReported(ctx)
	if err != nil {
		return err
	}
	if touched {
		boot, state = api.BootInstaller, api.HostFailed
	}
	err = setHost(ctx, s.deps.Hosts, s.d.Host, boot, state)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// installerReported reports whether the deployment's installer sent any
// signal: from then on it may have written to the disk.
func (s *SetBoot) installerReported(ctx context.Context) (bool, error) {
	sigs, err := s.deps.Signals.Signals(ctx, s.d.ID)
	if err != nil {
		return false, fmt.Errorf("reading signals of %s: %w", s.d.ID, err)
	}
	for _, sig := range sigs {
		if strings.HasPrefix(sig.Name, "installer.") {
			return true, nil
		}
	}
	return false, nil
}

// setHost sets the host's boot decision and state, writing only on change.
func setHost(ctx context.Context, hosts Hosts, name string, boot api.BootDecision, state api.HostState) error {
	h, err := hosts.GetHost(ctx, name)
	if err != nil {
		return fmt.Errorf("reading host %s: %w", name, err)
	}
	if h.Boot == boot && h.State == state {
		return nil
	}
	h.Boot, h.State = boot, state
	if _, err := hosts.UpdateHost(ctx, h); err != nil {
		return fmt.Errorf("setting host %s to boot %q, state %q: %w", name, boot, state, err)
	}
	return nil
}

// BootDisk makes the host's network boot hand it its disk once the
// installer has written it, so a machine that PXE-boots first does not
// install again in a loop while its first boot is awaited.
type BootDisk struct {
	deps Deps
	d    api.Deployment
}

func (deps Deps) bootDisk(d api.Deployment, _ int, raw json.RawMessage) (engine.Step, error) {
	var p struct{}
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	return &BootDisk{deps: deps, d: d}, nil
}

// Do implements engine.Step.
func (b *BootDisk) Do(ctx context.Context) error {
	return setHost(ctx, b.deps.Hosts, b.d.Host, api.BootLocal, api.HostDeploying)
}

// Undo points the host back at the installer; set-boot's undo, which runs
// after it, restores what the host booted before the deployment.
func (b *BootDisk) Undo(ctx context.Context) error {
	err := setHost(ctx, b.deps.Hosts, b.d.Host, api.BootInstaller, api.HostDeploying)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// Finish marks the host deployed, makes it boot from its disk and revokes
// the installer token.
type Finish struct {
	deps Deps
	d    api.Deployment
}

func (deps Deps) finish(d api.Deployment, _ int, raw json.RawMessage) (engine.Step, error) {
	var p struct{}
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	return &Finish{deps: deps, d: d}, nil
}

// Do implements engine.Step.
func (f *Finish) Do(ctx context.Context) error {
	if err := setHost(ctx, f.deps.Hosts, f.d.Host, api.BootLocal, api.HostDeployed); err != nil {
		return err
	}
	if err := f.deps.Tokens.RevokeInstaller(ctx, f.d.ID); err != nil {
		return fmt.Errorf("revoking installer token of %s: %w", f.d.ID, err)
	}
	return nil
}

// Undo implements engine.Step; it is the last step, so it never needs to.
func (f *Finish) Undo(context.Context) error { return nil }
