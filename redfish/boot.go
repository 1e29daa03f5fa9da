package redfish

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/stmcginnis/gofish/schemas"
)

type bootPatch struct {
	Boot bootFields
}

type bootFields struct {
	BootSourceOverrideEnabled string
	BootSourceOverrideTarget  BootTarget `json:",omitempty"`
	BootSourceOverrideMode    BootMode   `json:",omitempty"`
	HTTPBootURI               string     `json:"HttpBootUri,omitempty"`
}

// BootOverride reads the current boot override. One call.
func (c *Client) BootOverride(ctx context.Context) (BootOverride, error) {
	sys, err := c.system(ctx, "read boot override")
	if err != nil {
		return BootOverride{}, err
	}
	return fromBoot(sys.Boot), nil
}

func fromBoot(b schemas.Boot) BootOverride {
	return BootOverride{
		Target:      BootTarget(b.BootSourceOverrideTarget),
		Mode:        BootMode(b.BootSourceOverrideMode),
		HTTPBootURI: b.HTTPBootURI,
		Persistent:  b.BootSourceOverrideEnabled == schemas.ContinuousBootSourceOverrideEnabled,
		Enabled:     string(b.BootSourceOverrideEnabled),
	}
}

// SetBootOverride sets a one-time (or persistent) boot override and reads
// it back. A BMC that answers 2xx but does not apply it gives
// ErrNotApplied. On a standard BMC: two calls (PATCH, GET); with
// @Redfish.Settings and ETag: three.
func (c *Client) SetBootOverride(ctx context.Context, o BootOverride) error {
	const call = "set boot override"
	c.mu.Lock()
	targets := c.quirks.BootTargets
	c.mu.Unlock()
	if len(targets) > 0 && !slices.Contains(targets, o.Target) {
		return c.errorf(call, "%w: boot target %s (the BMC offers %v)", ErrUnsupported, o.Target, targets)
	}
	enabled := "Once"
	if o.Persistent {
		enabled = "Continuous"
	}
	want := bootFields{BootSourceOverrideEnabled: enabled, BootSourceOverrideTarget: o.Target, BootSourceOverrideMode: o.Mode}
	if o.Target == BootUefiHTTP {
		want.HTTPBootURI = o.HTTPBootURI
	}
	return c.applyBoot(ctx, call, want)
}

// ClearBootOverride disables any boot override and reads it back.
func (c *Client) ClearBootOverride(ctx context.Context) error {
	return c.applyBoot(ctx, "clear boot override", bootFields{BootSourceOverrideEnabled: "Disabled"})
}

// applyBoot PATCHes the override where this BMC wants it, learning on the
// way: If-Match after a 412/428, the settings object after a refusal or a
// PATCH that read back unchanged.
func (c *Client) applyBoot(ctx context.Context, call string, want bootFields) error {
	for range 2 { // the second round only after learning the settings object
		path, err := c.bootPath(ctx, call)
		if err != nil {
			return err
		}
		err = c.patchBoot(ctx, call, path, want)
		if s := Status(err); (s == http.StatusBadRequest || s == http.StatusMethodNotAllowed || s == http.StatusForbidden) && c.switchToSettings(ctx, call, path) {
			continue
		}
		if err != nil {
			return err
		}
		got, err := c.readBoot(ctx, call, path)
		if err != nil {
			return err
		}
		if bootMatches(got, want) {
			return nil
		}
		if c.switchToSettings(ctx, call, path) {
			continue
		}
		c.learn("boot override accepted but not applied", func(q *Quirks) { q.BootNotApplied = true })
		return c.errorf(call, "%w: asked for %s %s, read back %s %s", ErrNotApplied,
			want.BootSourceOverrideEnabled, want.BootSourceOverrideTarget, got.BootSourceOverrideEnabled, got.BootSourceOverrideTarget)
	}
	return c.errorf(call, "%w: neither the system nor its settings object took the boot override", ErrNotApplied)
}

func (c *Client) bootPath(ctx context.Context, call string) (string, error) {
	c.mu.Lock()
	p := c.quirks.BootSettingsPath
	c.mu.Unlock()
	if p != "" {
		return p, nil
	}
	return c.systemPath(ctx, call)
}

// switchToSettings moves the boot override to the @Redfish.Settings object
// when the system has one and it is not in use yet.
func (c *Client) switchToSettings(ctx context.Context, call, used string) bool {
	if _, err := c.system(ctx, call); err != nil {
		return false
	}
	c.mu.Lock()
	settings := c.settingsPath
	c.mu.Unlock()
	if settings == "" || settings == used {
		return false
	}
	c.learn("boot override goes to @Redfish.Settings "+settings, func(q *Quirks) { q.BootSettingsPath = settings })
	return true
}

func (c *Client) patchBoot(ctx context.Context, call, path string, want bootFields) error {
	c.mu.Lock()
	needETag := c.quirks.BootETag
	c.mu.Unlock()
	for attempt := 0; ; attempt++ {
		h := map[string]string{}
		if needETag {
			etag, err := c.etag(ctx, call, path)
			if err != nil {
				return err
			}
			h["If-Match"] = etag
		}
		_, err := c.do(ctx, request{op: call, method: http.MethodPatch, path: path, body: bootPatch{Boot: want}, header: h, idempotent: true})
		s := Status(err)
		if (s == http.StatusPreconditionFailed || s == http.StatusPreconditionRequired) && !needETag && attempt == 0 {
			c.learn("boot override needs If-Match", func(q *Quirks) { q.BootETag = true })
			needETag = true
			continue
		}
		return err
	}
}

func (c *Client) etag(ctx context.Context, call, path string) (string, error) {
	resp, err := c.do(ctx, request{op: call, method: http.MethodGet, path: path, idempotent: true})
	if err != nil {
		return "", err
	}
	if e := resp.header.Get("ETag"); e != "" {
		return e, nil
	}
	var body struct {
		ETag string `json:"@odata.etag"`
	}
	_ = json.Unmarshal(resp.body, &body)
	if body.ETag == "" {
		return "*", nil
	}
	return body.ETag, nil
}

func (c *Client) readBoot(ctx context.Context, call, path string) (bootFields, error) {
	resp, err := c.do(ctx, request{op: call + ": read back", method: http.MethodGet, path: path, idempotent: true})
	if err != nil {
		return bootFields{}, err
	}
	var body struct{ Boot schemas.Boot }
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return bootFields{}, c.errorf(call, "%w: %w", ErrMalformed, err)
	}
	b := body.Boot
	return bootFields{
		BootSourceOverrideEnabled: string(b.BootSourceOverrideEnabled),
		BootSourceOverrideTarget:  BootTarget(b.BootSourceOverrideTarget),
		BootSourceOverrideMode:    BootMode(b.BootSourceOverrideMode),
		HTTPBootURI:               b.HTTPBootURI,
	}, nil
}

func bootMatches(got, want bootFields) bool {
	if got.BootSourceOverrideEnabled != want.BootSourceOverrideEnabled {
		return false
	}
	if want.BootSourceOverrideEnabled == "Disabled" {
		return true
	}
	return got.BootSourceOverrideTarget == want.BootSourceOverrideTarget &&
		(want.BootSourceOverrideMode == "" || got.BootSourceOverrideMode == want.BootSourceOverrideMode) &&
		(want.HTTPBootURI == "" || got.HTTPBootURI == want.HTTPBootURI)
}
