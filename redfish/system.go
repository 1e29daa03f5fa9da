package redfish

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/stmcginnis/gofish/schemas"
)

// systemPath returns the system's path, finding the first member of
// /redfish/v1/Systems on first use.
func (c *Client) systemPath(ctx context.Context, call string) (string, error) {
	c.mu.Lock()
	p := c.quirks.SystemPath
	c.mu.Unlock()
	if p != "" {
		return p, nil
	}
	p, err := c.firstMember(ctx, call, "/redfish/v1/Systems")
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.quirks.SystemPath = p
	c.mu.Unlock()
	return p, nil
}

func (c *Client) managerPath(ctx context.Context, call string) (string, error) {
	c.mu.Lock()
	p := c.quirks.ManagerPath
	c.mu.Unlock()
	if p != "" {
		return p, nil
	}
	p, err := c.firstMember(ctx, call, "/redfish/v1/Managers")
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.quirks.ManagerPath = p
	c.mu.Unlock()
	return p, nil
}

func (c *Client) firstMember(ctx context.Context, call, collection string) (string, error) {
	links, err := c.members(ctx, call, collection)
	if err != nil {
		return "", err
	}
	if len(links) == 0 {
		return "", c.errorf(call, "%w: %s is empty", ErrUnsupported, collection)
	}
	return links[0], nil
}

func (c *Client) members(ctx context.Context, call, collection string) ([]string, error) {
	resp, err := c.gofish(ctx, call).Get(collection)
	if err != nil {
		return nil, err
	}
	var col struct {
		Members []struct {
			ID string `json:"@odata.id"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&col); err != nil {
		return nil, c.errorf(call, "%w: %s: %w", ErrMalformed, collection, err)
	}
	out := make([]string, 0, len(col.Members))
	for _, m := range col.Members {
		out = append(out, pathOf(m.ID))
	}
	return out, nil
}

// system reads the ComputerSystem and learns what it advertises: boot
// targets, reset types and action target, the settings object.
func (c *Client) system(ctx context.Context, call string) (*schemas.ComputerSystem, error) {
	path, err := c.systemPath(ctx, call)
	if err != nil {
		return nil, err
	}
	sys, err := schemas.GetObject[schemas.ComputerSystem](c.gofish(ctx, call), path)
	if err != nil {
		return nil, c.fail(call, err)
	}
	var extra struct {
		Actions struct {
			Reset struct {
				Target string `json:"target"`
			} `json:"#ComputerSystem.Reset"`
		}
		Settings struct {
			SettingsObject struct {
				ID string `json:"@odata.id"`
			}
		} `json:"@Redfish.Settings"`
	}
	_ = json.Unmarshal(sys.RawData, &extra) // gofish decoded the same bytes
	resets, _ := sys.GetSupportedResetTypes()
	c.mu.Lock()
	q := &c.quirks
	q.ResetPath = pathOf(extra.Actions.Reset.Target)
	q.ResetTypes = convert[ResetType](resets)
	if targets := sys.Boot.AllowableBootSourceOverrideTargetValues; len(targets) > 0 {
		q.BootTargets = convert[BootTarget](targets)
	}
	if q.Vendor == "" {
		q.Vendor, q.Model = sys.Manufacturer, sys.Model
	}
	c.settingsPath = pathOf(extra.Settings.SettingsObject.ID)
	c.mu.Unlock()
	return sys, nil
}

func convert[T, F ~string](in []F) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, T(v)) {
			out = append(out, T(v))
		}
	}
	return out
}
