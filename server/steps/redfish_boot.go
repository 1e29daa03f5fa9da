package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/store"
)

// BMCBootParams choose the one-time boot target: Pxe or UefiHttp boot from
// the network; Cd or UsbCd boot the deployment's per-host ISO, inserted as
// virtual media from a one-time URL.
type BMCBootParams struct {
	Target redfish.BootTarget `json:"target"`
}

func (p BMCBootParams) media() bool {
	return p.Target == redfish.BootCd || p.Target == redfish.BootUsbCd
}

// BMCBoot (optionally inserts the per-host ISO as virtual media,) sets a
// one-time boot override, verified by reading it back, and power cycles the
// host (or powers it on). Undo ejects the media, clears the override and
// powers the host off again if this step powered it on.
type BMCBoot struct {
	deps Deps
	d    api.Deployment
	p    BMCBootParams

	mu        sync.Mutex
	poweredOn bool // Do found the host off and turned it on
}

func (deps Deps) bmcBoot(d api.Deployment, _ int, raw json.RawMessage) (engine.Step, error) {
	var p BMCBootParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	switch {
	case p.Target == redfish.BootPxe || p.Target == redfish.BootUefiHTTP:
	case p.media() && deps.Media == nil:
		return nil, fmt.Errorf("params: target %s boots virtual media, which this server does not build", p.Target)
	case !p.media():
		return nil, fmt.Errorf("params: target %q: want %s, %s, %s or %s", p.Target, redfish.BootPxe, redfish.BootUefiHTTP, redfish.BootCd, redfish.BootUsbCd)
	}
	return &BMCBoot{deps: deps, d: d, p: p}, nil
}

// Do implements engine.Step.
func (b *BMCBoot) Do(ctx context.Context) error {
	return withBMC(ctx, b.deps, b.d, func(c BMC) error {
		state, err := c.PowerState(ctx)
		if err != nil {
			return bmcError(c.BMC(), "read power state", err)
		}
		if b.p.media() {
			if err := b.insert(ctx, c); err != nil {
				return err
			}
		}
		if err := c.SetBootOverride(ctx, redfish.BootOverride{Target: b.p.Target}); err != nil {
			return bmcError(c.BMC(), "set boot override", err)
		}
		if err := c.PowerCycleFrom(ctx, state, false); err != nil {
			return bmcError(c.BMC(), "power cycle", err)
		}
		b.mu.Lock()
		b.poweredOn = state == redfish.PowerOff
		b.mu.Unlock()
		return nil
	})
}

// insert mints a one-time URL of the deployment's ISO and inserts it.
func (b *BMCBoot) insert(ctx context.Context, c BMC) error {
	t, err := b.deps.Media.Mint(ctx, b.d)
	if err != nil {
		return &api.StepError{Code: CodeMedia, Message: fmt.Sprintf("building the installer ISO of host %s: %v", b.d.Host, err),
			Hint: "check the server's installer files (ingot serve --installer) and grub-mkrescue/xorriso"}
	}
	if err := c.InsertMedia(ctx, t.URL); err != nil {
		b.deps.Media.Revoke(b.d.ID)
		return bmcError(c.BMC(), "insert virtual media", err)
	}
	return nil
}

// Undo implements engine.Step. It is idempotent: ejecting an empty drive,
// clearing a cleared override and powering off an off host change nothing.
// After a restart the step no longer knows whether it powered the host on
// and leaves power alone.
func (b *BMCBoot) Undo(ctx context.Context) error {
	if b.p.media() {
		b.deps.Media.Revoke(b.d.ID)
	}
	err := withBMC(ctx, b.deps, b.d, func(c BMC) error {
		if b.p.media() {
			if err := c.EjectMedia(ctx); err != nil {
				return bmcError(c.BMC(), "eject virtual media", err)
			}
		}
		if err := c.ClearBootOverride(ctx); err != nil {
			return bmcError(c.BMC(), "clear boot override", err)
		}
		b.mu.Lock()
		off := b.poweredOn
		b.mu.Unlock()
		if !off {
			return nil
		}
		if err := c.PowerOff(ctx, false); err != nil {
			return bmcError(c.BMC(), "power off", err)
		}
		b.mu.Lock()
		b.poweredOn = false
		b.mu.Unlock()
		return nil
	})
	var nf *hostGone
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// hostGone: the host was deleted; Undo has nothing to restore.
type hostGone struct{ error }

// withBMC reads the host of d, connects to its BMC, runs f and ends the
// session.
func withBMC(ctx context.Context, deps Deps, d api.Deployment, f func(BMC) error) error {
	h, err := deps.Hosts.GetHost(ctx, d.Host)
	if errors.Is(err, store.ErrNotFound) {
		return &hostGone{fmt.Errorf("host %s does not exist", d.Host)}
	}
	if err != nil {
		return fmt.Errorf("reading host %s: %w", d.Host, err)
	}
	if h.BMC == nil || h.BMC.Endpoint == "" {
		return &api.StepError{Code: CodeBMC, Message: fmt.Sprintf("host %s has no BMC", h.Name),
			Hint: "set the host's bmc endpoint and credential, or use a hostgroup boot path without a BMC"}
	}
	c, err := deps.BMC.Connect(ctx, h)
	if err != nil {
		return bmcError(h.BMC.Endpoint, "connect", err)
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	return f(c)
}
