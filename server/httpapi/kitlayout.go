package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"

	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
)

// errTangOnly is a kit for a host whose encryption policy only Tang can
// satisfy: the site has no Tang server unless the kit keeps the pins.
var errTangOnly = errors.New("the encryption policy binds only to Tang, which a site kit cannot reach: add a tpm2 pin to the hostgroup's encryption policy, or build the kit with --keep-tang (keep_tang) if a Tang server is reachable at the site")

// kitLayout is the plan's layout for a site without Tang servers: the
// encryption policy keeps only its TPM2 pin (threshold 1), unless keepTang.
// A policy that has no TPM2 pin cannot work offline and is refused with
// errTangOnly.
func kitLayout(l plan.Layout, keepTang bool) (plan.Layout, error) {
	if len(l.Spec) == 0 || keepTang {
		return l, nil
	}
	spec, err := layout.Parse(l.Spec)
	if err != nil {
		return l, fmt.Errorf("reading the layout: %w", err)
	}
	e := spec.Encryption
	if e == nil || len(e.Tang) == 0 {
		return l, nil
	}
	if e.TPM2 == nil {
		return l, errTangOnly
	}
	e.Tang, e.Threshold = nil, 1
	if errs := layout.Validate(spec); len(errs) > 0 {
		return l, fmt.Errorf("the layout without its Tang pins: %v", errs)
	}
	b, err := json.Marshal(spec)
	l.Spec = b
	return l, err
}
