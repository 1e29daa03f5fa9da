package redfish

import (
	"context"
	"errors"
)

// Discover reads, without changing anything, what the BMC advertises: the
// system (boot targets, reset types, settings object), the manager's
// firmware and the virtual CD slot with its media types. The result is in
// Quirks. About 7 calls.
func (c *Client) Discover(ctx context.Context) error {
	const call = "discover"
	if _, err := c.system(ctx, call); err != nil {
		return err
	}
	c.firmware(ctx, call)
	if _, err := c.mediaSlot(ctx, call); err != nil && !errors.Is(err, ErrUnsupported) {
		return err
	}
	return nil
}

// SettingsObject reports the system's advertised @Redfish.Settings object
// ("" when none); known after Discover.
func (c *Client) SettingsObject() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settingsPath
}
