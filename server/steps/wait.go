package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
)

// Signal names the waiting steps react to.
const (
	SignalInstallerDone     = "installer.done"
	SignalInstallerFailed   = "installer.failed"
	SignalInstallerProgress = "installer.progress"
	SignalFirstboot         = "firstboot"
)

// StepError codes of the waiting steps.
const (
	CodeInstaller = "installer" // the installer reported a failure
	CodeTimeout   = "timeout"   // the step's own timeout passed
)

// WaitParams bound how long a waiting step waits; zero means until the
// deployment's deadline.
type WaitParams struct {
	Timeout Duration `json:"timeout,omitzero"`
}

// failedData is the Data of an installer.failed signal.
type failedData struct {
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// Wait waits for one signal. For the installer it also fails on
// installer.failed and records installer.progress.
type Wait struct {
	deps      Deps
	d         api.Deployment
	started   time.Time
	timeout   time.Duration
	done      string // signal that ends the step well
	installer bool
	kit       string // the site kit whose report is awaited
	progress  *api.Progress
}

var _ engine.Progresser = (*Wait)(nil)

func (deps Deps) waitInstaller(d api.Deployment, i int, raw json.RawMessage) (engine.Step, error) {
	return deps.newWait(d, i, raw, SignalInstallerDone, true)
}

func (deps Deps) waitFirstboot(d api.Deployment, i int, raw json.RawMessage) (engine.Step, error) {
	return deps.newWait(d, i, raw, SignalFirstboot, false)
}

func (deps Deps) newWait(d api.Deployment, i int, raw json.RawMessage, done string, installer bool) (engine.Step, error) {
	var p WaitParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	w := &Wait{deps: deps, d: d, timeout: time.Duration(p.Timeout), done: done, installer: installer}
	if i >= 0 && i < len(d.Steps) {
		w.started = d.Steps[i].StartedAt
	}
	return w, nil
}

// KitReportParams name the site kit an offline deployment waits for: its
// ID and its report-signing key (base64url ed25519), which the import of a
// report checks.
type KitReportParams struct {
	Kit     string   `json:"kit"`
	KitKey  string   `json:"kit_key"`
	Timeout Duration `json:"timeout,omitzero"`
}

// waitKitReport waits, like wait-installer, for installer.done or
// installer.failed: an import of the kit's report posts them.
func (deps Deps) waitKitReport(d api.Deployment, i int, raw json.RawMessage) (engine.Step, error) {
	var p KitReportParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	if p.Kit == "" || p.KitKey == "" {
		return nil, errors.New("params: kit and kit_key are required")
	}
	w, _ := deps.newWait(d, i, nil, SignalInstallerDone, true)
	w.(*Wait).kit, w.(*Wait).timeout = p.Kit, time.Duration(p.Timeout)
	return w, nil
}

// Do implements engine.Step: nil once the awaited signal is stored, an
// *engine.Wait until then.
func (w *Wait) Do(ctx context.Context) error {
	sigs, err := w.deps.Signals.Signals(ctx, w.d.ID)
	if err != nil {
		return fmt.Errorf("reading signals of %s: %w", w.d.ID, err)
	}
	for _, s := range sigs {
		switch {
		case s.Name == w.done:
			return nil
		case w.installer && s.Name == SignalInstallerFailed:
			return installerFailed(w.d.Host, s.Data)
		case w.installer && s.Name == SignalInstallerProgress:
			var p api.Progress
			if json.Unmarshal(s.Data, &p) == nil && p.Bytes >= 0 {
				w.progress = &p
			}
		}
	}
	if w.timeout <= 0 {
		return &engine.Wait{Reason: w.done}
	}
	start := w.started
	if start.IsZero() {
		start = w.deps.Now()
	}
	until := start.Add(w.timeout)
	if !w.deps.Now().Before(until) {
		return &api.StepError{
			Code:    CodeTimeout,
			Message: fmt.Sprintf("no %s signal from host %s within %v", w.done, w.d.Host, w.timeout),
			Hint:    w.timeoutHint(),
		}
	}
	return &engine.Wait{Until: until, Reason: w.done}
}

func (w *Wait) timeoutHint() string {
	if w.kit != "" {
		return "bring site kit " + w.kit + " back and import its reports (ingot media import-reports), or redeploy the host"
	}
	if w.installer {
		return "check the host's console: did it network-boot the installer, and can it reach the server?"
	}
	return "check the host's console: did the installed system boot and unlock its disks, and can it reach the server?"
}

func installerFailed(host string, data json.RawMessage) error {
	var f failedData
	if err := json.Unmarshal(data, &f); err != nil || f.Message == "" {
		f.Message = "the installer reported a failure without a message"
	}
	if f.Hint == "" {
		f.Hint = fmt.Sprintf("read the installer's events and the console of host %s", host)
	}
	return &api.StepError{Code: CodeInstaller, Message: f.Message, Hint: f.Hint}
}

// Progress implements engine.Progresser: the latest installer.progress.
func (w *Wait) Progress() *api.Progress { return w.progress }

// Undo implements engine.Step; waiting changes nothing.
func (w *Wait) Undo(context.Context) error { return nil }
