package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store/sqlstore"
)

type nopTokens struct{}

func (nopTokens) IssueInstaller(context.Context, api.Deployment, time.Duration) error { return nil }
func (nopTokens) RevokeInstaller(context.Context, api.DeploymentID) error             { return nil }

// quirkEnv is a real SQLite store with a credential, a host behind a fake
// BMC with vendor quirks, and the server's BMC connector.
type quirkEnv struct {
	st   *sqlstore.Store
	conn *bmcConnector
	bmc  *fakebmc.BMC
	host api.Host
}

func newQuirkEnv(t *testing.T) *quirkEnv {
	t.Helper()
	ctx := t.Context()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal([]byte(fakebmc.Password), []byte("credential:bmc"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutCredential(ctx, api.Credential{Name: "bmc", Username: fakebmc.User}, sealed); err != nil {
		t.Fatal(err)
	}
	b := fakebmc.New(t, fakebmc.Options{Quirks: emulator.Quirks{BootViaSettings: true, RejectInserted: true}})
	h, err := st.CreateHost(ctx, api.Host{Name: "h1", State: api.HostRegistered, Boot: api.BootLocal,
		BMC: &api.BMC{Endpoint: b.URL(), Credential: "bmc"}})
	if err != nil {
		t.Fatal(err)
	}
	conn := &bmcConnector{creds: st, quirks: st, box: box, log: slog.New(slog.NewTextHandler(io.Discard, nil)), retry: redfish.Retry{Attempts: 1}}
	return &quirkEnv{st: st, conn: conn, bmc: b, host: h}
}

// bmcBoot builds the bmc-boot step of a deployment of h1, as the engine does.
func (e *quirkEnv) bmcBoot(t *testing.T) engine.Step {
	t.Helper()
	reg := engine.NewRegistry()
	steps.Register(reg, steps.Deps{Hosts: e.st, Catalog: e.st, Signals: e.st, Events: e.st, Tokens: nopTokens{}, BMC: e.conn})
	d := api.Deployment{ID: "dep_1", Host: "h1", Steps: []api.Step{{Name: steps.KindBMCBoot, Params: steps.Encode(steps.BMCBootParams{Target: redfish.BootPxe})}}}
	s, err := reg.BuildStep(d, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *quirkEnv) doUndo(t *testing.T) {
	t.Helper()
	s := e.bmcBoot(t)
	if err := s.Do(t.Context()); err != nil {
		t.Fatalf("bmc-boot Do: %v", err)
	}
	if e.bmc.Machine.LastBoot != "Pxe" {
		t.Fatalf("the machine booted %q, want Pxe", e.bmc.Machine.LastBoot)
	}
	if err := s.Undo(t.Context()); err != nil {
		t.Fatalf("bmc-boot Undo: %v", err)
	}
}

// A probe learns that the BMC takes the boot override only on its
// @Redfish.Settings object with If-Match and refuses Inserted; the server
// stores it, and the bmc-boot step then sends no request the BMC rejects.
func TestProbeStoresQuirksAndBootUsesThem(t *testing.T) {
	e := newQuirkEnv(t)
	p, err := e.conn.Probe(t.Context(), e.host, api.BMCProbeRequest{Active: true, MediaURL: "http://10.0.0.1/installer.iso"})
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	stored, err := e.st.GetBMCQuirks(t.Context(), e.bmc.URL())
	if err != nil {
		t.Fatalf("quirks not stored: %v", err)
	}
	var q redfish.Quirks
	if err := json.Unmarshal(stored.Quirks, &q); err != nil {
		t.Fatal(err)
	}
	if q.BootSettingsPath == "" || !q.BootETag || !q.MediaOmitInserted || stored.Source != api.QuirksFromProbe ||
		stored.Vendor != "Contoso" || stored.ProbedAt.IsZero() || len(p.Quirks.Findings) == 0 {
		t.Fatalf("stored quirks %+v (%+v); want settings object, If-Match, no Inserted, from a probe", stored, q)
	}
	before := len(e.bmc.Requests())
	e.doUndo(t)
	after := e.bmc.Requests()[before:]
	for _, r := range after {
		if r.Status >= 400 {
			t.Errorf("bmc-boot sent a request the BMC rejected: %s", r)
		}
	}
	t.Logf("bmc-boot Do+Undo with stored quirks: %d Redfish calls, none rejected", len(after))
}

// Without a probe the step learns on the way (paying with rejected
// requests once) and stores what it learned, so the next session sends
// none.
func TestBootLearnsAndStoresQuirks(t *testing.T) {
	e := newQuirkEnv(t)
	e.doUndo(t)
	if len(e.bmc.Rejected()) == 0 {
		t.Fatal("the first session had no rejected request: the fake's quirk is not in effect and this test proves nothing")
	}
	stored, err := e.st.GetBMCQuirks(t.Context(), e.bmc.URL())
	if err != nil || stored.Source != api.QuirksFromLearned {
		t.Fatalf("learned quirks not stored: %+v, %v", stored, err)
	}
	before := len(e.bmc.Requests())
	e.doUndo(t)
	for _, r := range e.bmc.Requests()[before:] {
		if r.Status >= 400 {
			t.Errorf("second session sent a request the BMC rejected: %s", r)
		}
	}
}
