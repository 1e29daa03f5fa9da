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

// BMCBootParams choose the one-time boot target: Pxe or UefiHttp.
type BMCBootParams struct {
	Target redfish.BootTarget `json:"target"`
}

// BMCBoot sets a one-time network boot override, verified by reading it
// back, and power cycles the host (or powers it on). Undo clears the
// override and powers the host off again if this step powered it on.
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
	if p.Target != redfish.BootPxe && p.Target != redfish.BootUefiHTTP {
		return nil, fmt.Errorf("params: target %q: want %s or %s", p.Target, redfish.BootPxe, redfish.BootUefiHTTP)
	}
	return &BMCBoot{deps: deps, d: d, p: p}, nil
}

// Do implements engine.Step.
func (b *BMCBoot) Do(ctx context.Context) error {
	return b.withBMC(ctx, func(c BMC) error {
		state, err := c.PowerState(ctx)
		if err != nil {
			return bmcError(c.BMC(), "read power state", err)
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

// Undo implements engine.Step. It is idempotent: clearing a cleared
// override and powering off an off host change nothing. After a restart the
// step no longer knows whether it powered the host on and leaves power alone.
func (b *BMCBoot) Undo(ctx context.Context) error {
	err := b.withBMC(ctx, func(c BMC) error {
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

// withBMC reads the host, connects to its BMC, runs f and ends the session.
func (b *BMCBoot) withBMC(ctx context.Context, f func(BMC) error) error {
	h, err := b.deps.Hosts.GetHost(ctx, b.d.Host)
	if errors.Is(err, store.ErrNotFound) {
		return &hostGone{fmt.Errorf("host %s does not exist", b.d.Host)}
	}
	if err != nil {
		return fmt.Errorf("reading host %s: %w", b.d.Host, err)
	}
	if h.BMC == nil || h.BMC.Endpoint == "" {
		return &api.StepError{Code: CodeBMC, Message: fmt.Sprintf("host %s has no BMC", h.Name),
			Hint: "set the host's bmc endpoint and credential, or use a hostgroup boot path without a BMC"}
	}
	c, err := b.deps.BMC.Connect(ctx, h)
	if err != nil {
		return bmcError(h.BMC.Endpoint, "connect", err)
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	return f(c)
}
