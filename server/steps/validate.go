package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/setcheck"
)

// CodeValidate is the StepError code of a plan that no longer holds.
const CodeValidate = "validate"

// ValidateParams name what the planner chose.
type ValidateParams struct {
	ImageSet string `json:"image_set"`
	Variant  string `json:"variant" doc:"Variant key, e.g. amd64/uefi/sb=false."`
	Image    string `json:"image"`
	// Storage is the storage stack planned for the host's inventory (one
	// line per disk, partition, array, LUKS volume, logical volume and
	// filesystem), for people reading a dry run; the installer plans again
	// from the inventory it finds.
	Storage []string `json:"storage,omitempty"`
}

// ImageOf is the image deployment d installs: the one its validate step
// names.
func ImageOf(d api.Deployment) string {
	for _, s := range d.Steps {
		if s.Name == KindValidate {
			var p ValidateParams
			if json.Unmarshal(s.Params, &p) == nil {
				return p.Image
			}
		}
	}
	return ""
}

// Validate checks at run time that the plan still holds: the host is still
// in the hostgroup, the hostgroup still uses the image set, and the chosen
// variant still has the chosen image.
type Validate struct {
	deps Deps
	d    api.Deployment
	p    ValidateParams
}

func (deps Deps) validate(d api.Deployment, _ int, raw json.RawMessage) (engine.Step, error) {
	var p ValidateParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	if p.ImageSet == "" || p.Variant == "" || p.Image == "" {
		return nil, errors.New("params: image_set, variant and image are required")
	}
	return &Validate{deps: deps, d: d, p: p}, nil
}

// Do implements engine.Step.
func (v *Validate) Do(ctx context.Context) error {
	replan := "deploy the host again to plan with the current configuration"
	h, err := v.deps.Hosts.GetHost(ctx, v.d.Host)
	if err != nil {
		return notFound(err, CodeValidate, fmt.Sprintf("host %s no longer exists", v.d.Host), "register the host again, then deploy it")
	}
	if h.Hostgroup != v.d.Hostgroup {
		return &api.StepError{Code: CodeValidate, Message: fmt.Sprintf("host %s moved from hostgroup %q to %q after planning", h.Name, v.d.Hostgroup, h.Hostgroup), Hint: replan}
	}
	g, err := v.deps.Catalog.GetHostgroup(ctx, v.d.Hostgroup)
	if err != nil {
		return notFound(err, CodeValidate, fmt.Sprintf("hostgroup %s no longer exists", v.d.Hostgroup), replan)
	}
	if g.ImageSet != v.p.ImageSet {
		return &api.StepError{Code: CodeValidate, Message: fmt.Sprintf("hostgroup %s now uses image set %q, not %q", g.Name, g.ImageSet, v.p.ImageSet), Hint: replan}
	}
	set, err := v.deps.Catalog.GetImageSet(ctx, v.p.ImageSet)
	if err != nil {
		return notFound(err, CodeValidate, fmt.Sprintf("image set %s no longer exists", v.p.ImageSet), "recreate the image set or point the hostgroup at another one, then deploy again")
	}
	if msg := setcheck.Refusal(set); msg != "" {
		return &api.StepError{Code: CodeValidate, Message: msg, Hint: "restore the missing chunks, re-import the image or point the image set at a whole one"}
	}
	for _, vr := range set.Variants {
		if vr.Key() == v.p.Variant && vr.Image == v.p.Image {
			return v.checkImage(ctx)
		}
	}
	return &api.StepError{
		Code:    CodeValidate,
		Message: fmt.Sprintf("image set %s no longer has image %s as variant %s", set.Name, v.p.Image, v.p.Variant),
		Hint:    replan,
	}
}

// Undo implements engine.Step; validating changes nothing.
func (v *Validate) Undo(context.Context) error { return nil }

// ImageChecker verifies a stored image is whole: signature and chunks.
type ImageChecker interface {
	CheckImage(ctx context.Context, id string) error
}

// checkImage re-checks the chosen image when Deps.Images is set.
func (v *Validate) checkImage(ctx context.Context) error {
	if v.deps.Images == nil {
		return nil
	}
	if err := v.deps.Images.CheckImage(ctx, v.p.Image); err != nil {
		return &api.StepError{Code: CodeValidate, Message: fmt.Sprintf("image set %s variant %s: %v", v.p.ImageSet, v.p.Variant, err),
			Hint: "re-import the image, or point the image set at a whole image, then deploy again"}
	}
	return nil
}
