package redfish

import (
	"context"
	"net/http"
	"slices"
	"time"
)

// PowerState reads the system's power state. One call.
func (c *Client) PowerState(ctx context.Context) (PowerState, error) {
	sys, err := c.system(ctx, "read power state")
	if err != nil {
		return "", err
	}
	return PowerState(sys.PowerState), nil
}

// Reset runs the ComputerSystem.Reset action. It is not repeated unless
// the BMC cannot have acted on it (connection refused, 503, 429).
func (c *Client) Reset(ctx context.Context, t ResetType) error {
	call := "reset " + string(t)
	c.mu.Lock()
	target, allowed := c.quirks.ResetPath, c.quirks.ResetTypes
	c.mu.Unlock()
	if target == "" {
		if _, err := c.system(ctx, call); err != nil {
			return err
		}
		c.mu.Lock()
		target, allowed = c.quirks.ResetPath, c.quirks.ResetTypes
		c.mu.Unlock()
	}
	if target == "" {
		return c.errorf(call, "%w: the system has no Reset action", ErrUnsupported)
	}
	if len(allowed) > 0 && !slices.Contains(allowed, t) {
		return c.errorf(call, "%w: reset type %s (the BMC offers %v)", ErrUnsupported, t, allowed)
	}
	_, err := c.do(ctx, request{op: call, method: http.MethodPost, path: target, body: map[string]ResetType{"ResetType": t}})
	return err
}

func (c *Client) supports(t ResetType) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.quirks.ResetTypes) == 0 || slices.Contains(c.quirks.ResetTypes, t)
}

// PowerOn turns the system on unless it is on already. Two calls (one if on).
func (c *Client) PowerOn(ctx context.Context) error {
	state, err := c.PowerState(ctx)
	if err != nil || state == PowerOn || state == PowerPoweringOn {
		return err
	}
	return c.Reset(ctx, ResetOn)
}

// PowerOff shuts the system down gracefully and forces it off when it is
// still on after Config.GracefulTimeout (or at once when graceful is false
// or the BMC offers no graceful shutdown).
func (c *Client) PowerOff(ctx context.Context, graceful bool) error {
	state, err := c.PowerState(ctx)
	if err != nil || state == PowerOff {
		return err
	}
	if graceful && c.supports(ResetGracefulShutdown) {
		if err := c.Reset(ctx, ResetGracefulShutdown); err != nil {
			return err
		}
		off, err := c.waitPower(ctx, PowerOff, c.cfg.GracefulTimeout)
		if err != nil || off {
			return err
		}
		c.log.Info("graceful shutdown timed out; forcing power off", "timeout", c.cfg.GracefulTimeout)
	}
	if err := c.Reset(ctx, ResetForceOff); err != nil {
		return err
	}
	off, err := c.waitPower(ctx, PowerOff, c.cfg.GracefulTimeout)
	if err == nil && !off {
		err = c.errorf("power off", "%w: still on %s after ForceOff", ErrNotApplied, c.cfg.GracefulTimeout)
	}
	return err
}

// PowerCycle restarts the system, or starts it when it is off: a graceful
// shutdown forced after Config.GracefulTimeout, then power on. With
// graceful false it uses ForceRestart where offered. Deployment steps use
// it after setting a boot override.
func (c *Client) PowerCycle(ctx context.Context, graceful bool) error {
	state, err := c.PowerState(ctx)
	if err != nil {
		return err
	}
	return c.PowerCycleFrom(ctx, state, graceful)
}

// PowerCycleFrom is PowerCycle for a caller that has just read the power
// state: it saves that read (one call fewer).
func (c *Client) PowerCycleFrom(ctx context.Context, state PowerState, graceful bool) error {
	if state == PowerOff {
		return c.Reset(ctx, ResetOn)
	}
	if !graceful && c.supports(ResetForceRestart) {
		return c.Reset(ctx, ResetForceRestart)
	}
	if err := c.PowerOff(ctx, graceful); err != nil {
		return err
	}
	return c.Reset(ctx, ResetOn)
}

// waitPower polls until the system reaches want or timeout passes.
func (c *Client) waitPower(ctx context.Context, want PowerState, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		state, err := c.PowerState(ctx)
		if err != nil || state == want {
			return err == nil, err
		}
		if time.Now().Add(c.cfg.PollInterval).After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, c.errorf("wait for power "+string(want), "%w", ctx.Err())
		case <-time.After(c.cfg.PollInterval):
		}
	}
}
