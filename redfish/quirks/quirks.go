// Package quirks learns, before a BMC is trusted with a deployment, how it
// deviates from the Redfish standard (Probe), and keeps what was learned per
// vendor, model and firmware (Registry) so a new BMC of a known kind starts
// from its siblings' quirks. The server stores each BMC's redfish.Quirks
// and hands them to every later redfish.Connect.
package quirks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"ingot.dev/ingot/redfish"
)

// Options tune a probe.
type Options struct {
	// Active also tries the writes: a one-time boot override (restored
	// afterwards) and, with MediaURL, a virtual media insert and eject.
	// Without it the probe only reads.
	Active bool
	// MediaURL is an image URL the BMC can fetch for the media trial.
	MediaURL string
}

// Report is the outcome of a probe.
type Report struct {
	Key      Key
	Quirks   redfish.Quirks
	Findings []string // human-readable, one per quirk or check
	Calls    int64    // Redfish calls the probe made
}

// Key names a kind of BMC.
type Key struct{ Vendor, Model, Firmware string }

func (k Key) String() string { return k.Vendor + "/" + k.Model + "/" + k.Firmware }

// Probe learns c's quirks. Failures of the active trials are findings, not
// errors: they are exactly what the probe is for. It returns an error only
// when the BMC cannot be read at all.
func Probe(ctx context.Context, c *redfish.Client, opts Options) (Report, error) {
	start := c.Calls()
	if err := c.Discover(ctx); err != nil {
		return Report{}, fmt.Errorf("probing %s: %w", c.BMC(), err)
	}
	var r Report
	note := func(format string, args ...any) { r.Findings = append(r.Findings, fmt.Sprintf(format, args...)) }
	q := c.Quirks()
	note("boot targets offered: %v", q.BootTargets)
	note("media types: %v", q.MediaTypes)
	if s := c.SettingsObject(); s != "" {
		note("system advertises @Redfish.Settings at %s", s)
	}
	if q.MediaPath != "" && q.MediaInsertPath == "" {
		note("no InsertMedia action: media goes in by PATCH")
	}
	if opts.Active {
		bootTrial(ctx, c, q, note)
		if opts.MediaURL != "" && q.MediaPath != "" {
			mediaTrial(ctx, c, opts.MediaURL, note)
		}
	}
	r.Quirks = c.Quirks()
	r.Quirks.ProbedAt = time.Now().UTC()
	r.Key = Key{Vendor: r.Quirks.Vendor, Model: r.Quirks.Model, Firmware: r.Quirks.Firmware}
	r.Calls = c.Calls() - start
	return r, nil
}

// bootTrial sets a one-time override the BMC offers, reads it back (the
// client learns ETag and settings needs on the way) and restores the
// previous override.
func bootTrial(ctx context.Context, c *redfish.Client, q redfish.Quirks, note func(string, ...any)) {
	prev, err := c.BootOverride(ctx)
	if err != nil {
		note("boot override unreadable: %v", err)
		return
	}
	target := redfish.BootPxe
	for _, t := range []redfish.BootTarget{redfish.BootPxe, redfish.BootHdd, redfish.BootCd} {
		if len(q.BootTargets) == 0 || slices.Contains(q.BootTargets, t) {
			target = t
			break
		}
	}
	err = c.SetBootOverride(ctx, redfish.BootOverride{Target: target})
	switch {
	case errors.Is(err, redfish.ErrNotApplied):
		note("boot override is accepted but not applied: do not rely on it (use virtual media or PXE by boot order)")
		return
	case err != nil:
		note("boot override failed: %v", err)
		return
	}
	learned := c.Quirks()
	note("boot override works (settings object: %t, If-Match: %t)", learned.BootSettingsPath != "", learned.BootETag)
	if prev.Enabled == "" || prev.Enabled == "Disabled" {
		err = c.ClearBootOverride(ctx)
	} else {
		err = c.SetBootOverride(ctx, prev)
	}
	if err != nil {
		note("restoring the previous boot override failed: %v", err)
	}
}

func mediaTrial(ctx context.Context, c *redfish.Client, url string, note func(string, ...any)) {
	if err := c.InsertMedia(ctx, url); err != nil {
		note("virtual media insert failed: %v", err)
		return
	}
	note("virtual media insert works (Inserted/WriteProtected accepted: %t)", !c.Quirks().MediaOmitInserted)
	if err := c.EjectMedia(ctx); err != nil {
		note("virtual media eject failed: %v", err)
	}
}
