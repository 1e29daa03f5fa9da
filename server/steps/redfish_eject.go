package steps

import (
	"context"
	"encoding/json"
	"errors"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
)

// CodeMedia is the StepError code of a per-host ISO that could not be made.
const CodeMedia = "media"

// BMCEject ejects the virtual media of a host once its installer is done
// (before the installed OS boots from disk) and voids the ISO's one-time
// URLs. It has no params; Undo does nothing.
type BMCEject struct {
	deps Deps
	d    api.Deployment
}

func (deps Deps) bmcEject(d api.Deployment, _ int, raw json.RawMessage) (engine.Step, error) {
	var p struct{}
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	return &BMCEject{deps: deps, d: d}, nil
}

// Do implements engine.Step.
func (e *BMCEject) Do(ctx context.Context) error {
	if e.deps.Media != nil {
		e.deps.Media.Revoke(e.d.ID)
	}
	err := withBMC(ctx, e.deps, e.d, func(c BMC) error {
		if err := c.EjectMedia(ctx); err != nil {
			return bmcError(c.BMC(), "eject virtual media", err)
		}
		return nil
	})
	var gone *hostGone
	if errors.As(err, &gone) {
		return nil
	}
	return err
}

// Undo implements engine.Step: an ejected medium stays ejected.
func (e *BMCEject) Undo(context.Context) error { return nil }
