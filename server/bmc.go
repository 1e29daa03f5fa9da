package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/quirks"
	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
)

// credentials reads a stored credential and its sealed password.
type credentials interface {
	GetCredential(ctx context.Context, name string) (api.Credential, []byte, error)
}

// quirkStore keeps what is known about each BMC.
type quirkStore interface {
	GetBMCQuirks(ctx context.Context, endpoint string) (api.BMCQuirks, error)
	PutBMCQuirks(ctx context.Context, q api.BMCQuirks) (api.BMCQuirks, error)
}

// bmcConnector opens Redfish sessions with hosts' BMCs, logging in with the
// host's stored credential, unsealed only for the call. It starts every
// session from the BMC's stored quirks and stores what the session learned
// when it ends, so no BMC is probed twice and a rejected request is not
// sent again. With quirks nil it neither reads nor stores them.
type bmcConnector struct {
	creds  credentials
	quirks quirkStore
	box    *secret.Box
	log    *slog.Logger
	retry  redfish.Retry // zero: the redfish defaults
}

var (
	_ steps.BMCs   = (*bmcConnector)(nil)
	_ httpapi.BMCs = (*bmcConnector)(nil)
)

// config is how to reach and log in to a BMC with a stored credential.
func (b *bmcConnector) config(ctx context.Context, bmc api.BMC, who string) (redfish.Config, error) {
	cfg := redfish.Config{Endpoint: bmc.Endpoint, Logger: b.log.With("bmc", bmc.Endpoint), Retry: b.retry}
	if name := bmc.Credential; name != "" {
		cred, sealed, err := b.creds.GetCredential(ctx, name)
		if err != nil {
			return cfg, fmt.Errorf("reading credential %s of %s: %w", name, who, err)
		}
		pw, err := b.box.Open(sealed, []byte("credential:"+name))
		if err != nil {
			return cfg, fmt.Errorf("unsealing credential %s of %s: %w", name, who, err)
		}
		cfg.Username, cfg.Password = cred.Username, redfish.Secret(pw)
	}
	return cfg, nil
}

// Connect implements steps.BMCs.
func (b *bmcConnector) Connect(ctx context.Context, h api.Host) (steps.BMC, error) {
	if h.BMC == nil || h.BMC.Endpoint == "" {
		return nil, fmt.Errorf("host %s has no BMC endpoint", h.Name)
	}
	cfg, err := b.config(ctx, *h.BMC, "host "+h.Name)
	if err != nil {
		return nil, err
	}
	stored, known, err := b.stored(ctx, h.BMC.Endpoint)
	if err != nil {
		return nil, err
	}
	cfg.Quirks = stored.quirks
	c, err := redfish.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &learningClient{Client: c, conn: b, stored: stored, known: known}, nil
}

// storedQuirks is a BMC's stored entry with its quirks decoded.
type storedQuirks struct {
	api.BMCQuirks
	quirks redfish.Quirks
}

// stored reads the quirks stored for endpoint; known is false when there
// are none.
func (b *bmcConnector) stored(ctx context.Context, endpoint string) (s storedQuirks, known bool, err error) {
	if b.quirks == nil {
		return s, false, nil
	}
	s.BMCQuirks, err = b.quirks.GetBMCQuirks(ctx, endpoint)
	if errors.Is(err, store.ErrNotFound) {
		return storedQuirks{BMCQuirks: api.BMCQuirks{Endpoint: endpoint}}, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("reading the stored quirks of BMC %s: %w", endpoint, err)
	}
	if err := json.Unmarshal(s.Quirks, &s.quirks); err != nil {
		// Unreadable quirks are relearned, not fatal.
		b.log.Warn("ignoring unreadable stored BMC quirks", "bmc", endpoint, "err", err)
		s.quirks = redfish.Quirks{}
	}
	return s, true, nil
}

// save stores q for the BMC, keeping the probe's findings and time.
func (b *bmcConnector) save(ctx context.Context, s storedQuirks, q redfish.Quirks, source string) (api.BMCQuirks, error) {
	raw, err := json.Marshal(q)
	if err != nil {
		return api.BMCQuirks{}, fmt.Errorf("encoding quirks of BMC %s: %w", s.Endpoint, err)
	}
	e := s.BMCQuirks
	e.Vendor, e.Model, e.Firmware, e.Quirks, e.Source = q.Vendor, q.Model, q.Firmware, raw, source
	if !q.ProbedAt.IsZero() {
		e.ProbedAt = q.ProbedAt
	}
	if b.quirks == nil {
		return e, nil
	}
	return b.quirks.PutBMCQuirks(ctx, e)
}

// learningClient is a session that stores what it learned about its BMC
// when it closes.
type learningClient struct {
	*redfish.Client
	conn   *bmcConnector
	stored storedQuirks
	known  bool
}

// Close ends the session and stores the quirks if they changed.
func (l *learningClient) Close(ctx context.Context) error {
	err := l.Client.Close(ctx)
	now := l.Client.Quirks()
	if l.known && sameQuirks(now, l.stored.quirks) {
		return err
	}
	if _, serr := l.conn.save(ctx, l.stored, now, api.QuirksFromLearned); serr != nil {
		l.conn.log.Warn("storing learned BMC quirks", "bmc", l.stored.Endpoint, "err", serr)
	}
	return err
}

func sameQuirks(a, b redfish.Quirks) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// Probe implements httpapi.BMCs: it learns the BMC's quirks from scratch
// and stores them.
func (b *bmcConnector) Probe(ctx context.Context, h api.Host, req api.BMCProbeRequest) (api.BMCProbe, error) {
	if h.BMC == nil || h.BMC.Endpoint == "" {
		return api.BMCProbe{}, fmt.Errorf("host %s has no BMC endpoint", h.Name)
	}
	cfg, err := b.config(ctx, *h.BMC, "host "+h.Name)
	if err != nil {
		return api.BMCProbe{}, err
	}
	c, err := redfish.Connect(ctx, cfg)
	if err != nil {
		return api.BMCProbe{}, &httpapi.BMCError{Err: err}
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	rep, err := quirks.Probe(ctx, c, quirks.Options{Active: req.Active, MediaURL: req.MediaURL})
	if err != nil {
		return api.BMCProbe{}, &httpapi.BMCError{Err: err}
	}
	s := storedQuirks{BMCQuirks: api.BMCQuirks{Endpoint: h.BMC.Endpoint, Findings: rep.Findings}}
	q, err := b.save(ctx, s, rep.Quirks, api.QuirksFromProbe)
	if err != nil {
		return api.BMCProbe{}, err
	}
	return api.BMCProbe{Host: h.Name, Quirks: q, Calls: rep.Calls}, nil
}

// Inventory implements httpapi.BMCs: what the BMC tells about its machine.
// The quirks learned on the way are stored.
func (b *bmcConnector) Inventory(ctx context.Context, bmc api.BMC) (redfish.Inventory, error) {
	cfg, err := b.config(ctx, bmc, "BMC "+bmc.Endpoint)
	if err != nil {
		return redfish.Inventory{}, err
	}
	s, _, err := b.stored(ctx, bmc.Endpoint)
	if err != nil {
		return redfish.Inventory{}, err
	}
	cfg.Quirks = s.quirks
	c, err := redfish.Connect(ctx, cfg)
	if err != nil {
		return redfish.Inventory{}, &httpapi.BMCError{Err: err}
	}
	defer func() { _ = (&learningClient{Client: c, conn: b, stored: s}).Close(context.WithoutCancel(ctx)) }()
	inv, err := c.Inventory(ctx)
	if err != nil {
		return redfish.Inventory{}, &httpapi.BMCError{Err: err}
	}
	return inv, nil
}
