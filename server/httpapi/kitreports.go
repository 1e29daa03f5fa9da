package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/server/steps"
)

// SignalKitReport is the signal an imported report leaves on its
// deployment: the report's digest (for replays), what it found, and its
// recovery keys still sealed to the server's report key.
const SignalKitReport = "kit.report"

// TypeKitEvent is the event type of a line of an offline install.
const TypeKitEvent = "kit.installer"

type kitReportSignal struct {
	Digest       string            `json:"digest"`
	Kit          string            `json:"kit"`
	Result       string            `json:"result"`
	MatchedBy    string            `json:"matched_by"`
	Image        string            `json:"image"`
	Attempt      int               `json:"attempt"`
	Started      string            `json:"started"`
	Finished     string            `json:"finished"`
	PCRs         map[string]string `json:"pcrs,omitempty"`
	RecoveryKeys int               `json:"recovery_keys,omitempty"` // how many were escrowed
}

func (a *API) importKitReport(ctx context.Context, in *bodyInput[kit.Envelope]) (*bodyOutput[api.KitImport], error) {
	if a.Kits == nil {
		return nil, huma.Error501NotImplemented("this server has no kit keys")
	}
	e := in.Body
	d, wait, err := a.kitDeployment(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := require(ctx, "hostgroup:deploy:"+d.Hostgroup); err != nil {
		return nil, err
	}
	key, _ := kit.ParseKey(wait.KitKey)
	r, err := kit.OpenReport(e, key)
	if err != nil {
		return nil, huma.Error403Forbidden(fmt.Sprintf("%v: the report was altered or not written by kit %s; nothing was imported", err, wait.Kit))
	}
	if r.Deployment != d.ID || r.Host != d.Host {
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("report of host %s is signed for deployment %s but claims %s/%s", d.Host, d.ID, r.Host, r.Deployment))
	}
	res := api.KitImport{Kit: e.Kit, Deployment: d.ID, Host: d.Host, Result: r.Result, State: d.State, RecoveryKeys: len(r.RecoveryKeys)}
	prev, err := a.previousKitReport(ctx, d.ID)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	switch {
	case prev == e.Digest():
		res.Replayed = true
		return &bodyOutput[api.KitImport]{res}, nil
	case prev != "":
		return nil, huma.Error409Conflict(fmt.Sprintf("deployment %s already took another report (%s) from kit %s", d.ID, prev, e.Kit))
	case d.State.Terminal():
		return nil, huma.Error409Conflict(fmt.Sprintf("deployment %s already ended %s before its report came back; redeploy the host", d.ID, d.State))
	}
	if err := a.ingestKitReport(ctx, d, e, r); err != nil {
		return nil, err
	}
	a.Engine.Wake()
	return &bodyOutput[api.KitImport]{res}, nil
}

// kitDeployment finds the deployment a report is about and its
// wait-kit-report params; a report from a kit the deployment was not made
// for is refused.
func (a *API) kitDeployment(ctx context.Context, e kit.Envelope) (api.Deployment, steps.KitReportParams, error) {
	var p steps.KitReportParams
	var head struct {
		Deployment api.DeploymentID `json:"deployment"`
	}
	if err := json.Unmarshal(e.Report, &head); err != nil || head.Deployment == "" {
		return api.Deployment{}, p, invalid("unreadable report", &huma.ErrorDetail{Location: "body.report", Message: "not a kit report naming its deployment"})
	}
	d, err := a.Store.GetDeployment(ctx, head.Deployment)
	if err != nil {
		return d, p, huma.Error403Forbidden(fmt.Sprintf("report from unknown kit %s: this server has no deployment %s; nothing was imported", e.Kit, head.Deployment))
	}
	for _, s := range d.Steps {
		if s.Name == steps.KindWaitKitReport && json.Unmarshal(s.Params, &p) == nil && p.Kit == e.Kit {
			return d, p, nil
		}
	}
	return d, p, huma.Error403Forbidden(fmt.Sprintf("report signed by unknown kit %s: deployment %s was not made for that kit; nothing was imported", e.Kit, d.ID))
}

// previousKitReport is the digest of the report already imported for id.
func (a *API) previousKitReport(ctx context.Context, id api.DeploymentID) (string, error) {
	sigs, err := a.Store.Signals(ctx, id)
	if err != nil {
		return "", err
	}
	for _, s := range sigs {
		var k kitReportSignal
		if s.Name == SignalKitReport && json.Unmarshal(s.Data, &k) == nil {
			return k.Digest, nil
		}
	}
	return "", nil
}

// ingestKitReport records the report as if the host had been online: its
// lines as events of the waiting step, the inventory on the host, the
// recovery keys, and the installer's outcome signal last.
func (a *API) ingestKitReport(ctx context.Context, d api.Deployment, e kit.Envelope, r kit.Report) error {
	keys := make([]api.RecoveryKey, 0, len(r.RecoveryKeys))
	for i, k := range r.RecoveryKeys {
		pass, err := a.Kits.OpenSealed(k.Sealed)
		if err != nil {
			return invalid("recovery key does not open", &huma.ErrorDetail{Location: fmt.Sprintf("body.report.recovery_keys[%d]", i), Message: err.Error() + ": the kit was built by another server"})
		}
		keys = append(keys, api.RecoveryKey{Volume: k.Volume, Device: k.Device, Passphrase: string(pass)})
	}
	// Escrowed as if the installer had posted them online: sealed with the
	// server key, readable with host:recovery:<host>.
	if err := a.escrow(ctx, d, keys); err != nil {
		return err
	}
	step := -1
	for i, s := range d.Steps {
		if s.Name == steps.KindWaitKitReport {
			step = i
		}
	}
	evs := make([]api.Event, 0, len(r.Events))
	for _, ev := range r.Events {
		evs = append(evs, api.Event{Deployment: d.ID, Time: ev.Time, Step: step, Type: TypeKitEvent, Message: ev.Message})
	}
	if err := a.Store.AppendEvents(ctx, evs); err != nil {
		return a.problem(ctx, err)
	}
	if err := a.recordInventory(ctx, d.Host, r.Inventory); err != nil {
		return a.problem(ctx, err)
	}
	sig := kitReportSignal{Digest: e.Digest(), Kit: e.Kit, Result: r.Result, MatchedBy: r.MatchedBy, Image: r.Image, Attempt: r.Attempt,
		Started: r.Started.UTC().Format("2006-01-02T15:04:05Z"), Finished: r.Finished.UTC().Format("2006-01-02T15:04:05Z"), PCRs: r.PCRs, RecoveryKeys: len(keys)}
	if err := a.addSignal(ctx, d.ID, SignalKitReport, sig); err != nil {
		return err
	}
	outcome, ok := kitOutcome(r)
	if !ok {
		return invalid("report has no outcome", &huma.ErrorDetail{Location: "body.report.result", Message: "want succeeded or failed", Value: r.Result})
	}
	return a.addSignal(ctx, d.ID, outcome.Name, outcome.Data)
}

// kitOutcome is the installer.done or installer.failed signal the report
// carries (or one made from its result).
func kitOutcome(r kit.Report) (api.Signal, bool) {
	want := steps.SignalInstallerDone
	if r.Result == kit.ResultFailed {
		want = steps.SignalInstallerFailed
	} else if r.Result != kit.ResultSucceeded {
		return api.Signal{}, false
	}
	for _, s := range r.Signals {
		if s.Name == want {
			return s, true
		}
	}
	data, _ := json.Marshal(map[string]string{"message": r.Error, "hint": r.Hint})
	return api.Signal{Name: want, Data: data}, true
}

func (a *API) addSignal(ctx context.Context, id api.DeploymentID, name string, data any) error {
	raw, ok := data.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return a.problem(ctx, err)
		}
	}
	err := a.Store.AddSignal(ctx, id, api.Signal{Name: name, Data: raw, Time: a.Now().UTC()})
	if err != nil {
		return a.problem(ctx, errors.Join(fmt.Errorf("recording %s on %s", name, id), err))
	}
	return nil
}
