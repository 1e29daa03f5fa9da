// Package steps holds the built-in deployment step kinds: validate,
// installer-token, set-boot, wait-installer, wait-firstboot, finish and
// notify. Each is a typed value built from strictly decoded JSON params;
// Register adds them all to an engine.Registry.
package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/store"
)

// Names of the built-in step kinds.
const (
	KindValidate       = "validate"
	KindInstallerToken = "installer-token"
	KindSetBoot        = "set-boot"
	KindWaitInstaller  = "wait-installer"
	KindBootDisk       = "boot-disk"
	KindWaitFirstboot  = "wait-firstboot"
	KindFinish         = "finish"
	KindNotify         = "notify"
	KindWaitKitReport  = "wait-kit-report"
)

// Hosts reads and writes hosts.
type Hosts interface {
	GetHost(ctx context.Context, name string) (api.Host, error)
	UpdateHost(ctx context.Context, h api.Host) (api.Host, error)
}

// Catalog reads hostgroups and image sets.
type Catalog interface {
	GetHostgroup(ctx context.Context, name string) (api.Hostgroup, error)
	GetImageSet(ctx context.Context, name string) (api.ImageSet, error)
}

// Tokens issues and revokes per-deployment installer tokens. Both must be
// idempotent: IssueInstaller replaces the deployment's token if one exists,
// RevokeInstaller succeeds when there is none.
type Tokens interface {
	IssueInstaller(ctx context.Context, d api.Deployment, ttl time.Duration) error
	RevokeInstaller(ctx context.Context, id api.DeploymentID) error
}

// Signals reads the signals stored for a deployment, oldest first.
type Signals interface {
	Signals(ctx context.Context, id api.DeploymentID) ([]api.Signal, error)
}

// Events appends notes to a deployment's event log.
type Events interface {
	AppendEvents(ctx context.Context, events []api.Event) error
}

var (
	_ Hosts   = store.Store(nil)
	_ Catalog = store.Store(nil)
	_ Signals = store.Store(nil)
	_ Events  = store.Store(nil)
)

// Deps is what the built-in steps need. Every field is required except Now,
// which defaults to time.Now, and BMC: without it the Redfish steps are not
// registered.
type Deps struct {
	Hosts   Hosts
	Catalog Catalog
	Tokens  Tokens
	Signals Signals
	Events  Events
	BMC     BMCs
	// Media, with BMC, lets bmc-boot boot hosts from virtual media.
	Media Media
	Now   func() time.Time
	// Images, when set, re-checks the chosen image in the validate step.
	Images ImageChecker
}

// Register adds every built-in step kind to reg. It panics when a
// dependency is missing: that is a wiring bug in main.
func Register(reg *engine.Registry, deps Deps) {
	if deps.Hosts == nil || deps.Catalog == nil || deps.Tokens == nil || deps.Signals == nil || deps.Events == nil {
		panic("steps: Register needs Hosts, Catalog, Tokens, Signals and Events")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	reg.Register(KindValidate, deps.validate)
	reg.Register(KindInstallerToken, deps.installerToken)
	reg.Register(KindSetBoot, deps.setBoot)
	reg.Register(KindWaitInstaller, deps.waitInstaller)
	reg.Register(KindBootDisk, deps.bootDisk)
	reg.Register(KindWaitFirstboot, deps.waitFirstboot)
	reg.Register(KindFinish, deps.finish)
	reg.Register(KindNotify, deps.notify)
	reg.Register(KindWaitKitReport, deps.waitKitReport)
	if deps.BMC != nil {
		reg.Register(KindBMCBoot, deps.bmcBoot)
		reg.Register(KindBMCEject, deps.bmcEject)
	}
}

// Duration is a time.Duration that travels as a Go duration string ("1h30m").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a Go duration like 90m or 2h", b)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", b)
	}
	*d = Duration(v)
	return nil
}

// decode reads params into v strictly: unknown fields and trailing data
// are errors; empty params leave v at its zero value.
func decode(params json.RawMessage, v any) error {
	if len(bytes.TrimSpace(params)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding params: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("decoding params: trailing data after the JSON object")
	}
	return nil
}

// Encode marshals step params for a plan. The param types always encode.
func Encode(params any) json.RawMessage {
	b, err := json.Marshal(params)
	if err != nil {
		panic(fmt.Sprintf("steps: encoding %T: %v", params, err))
	}
	return b
}

// notFound turns a store miss into a StepError an operator can act on.
func notFound(err error, code, msg, hint string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &api.StepError{Code: code, Message: msg, Hint: hint}
	}
	return err
}
