package httpapi

import (
	"encoding/json"
	"fmt"

	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
)

// kitLayout is the plan's layout for a site without Tang servers: the
// encryption policy keeps only its TPM2 pin (threshold 1), unless keepTang.
// A policy that has no TPM2 pin cannot work offline and is refused.
func kitLayout(l plan.Layout, keepTang bool) (plan.Layout, error) {
	if len(l.Spec) == 0 || keepTang {
		return l, nil
	}
	var spec layout.Layout
	if err := json.Unmarshal(l.Spec, &spec); err != nil {
		return l, fmt.Errorf("reading the layout: %w", err)
	}
	e := spec.Encryption
	if e == nil || len(e.Tang) == 0 {
		return l, nil
	}
	if e.TPM2 == nil {
		return l, fmt.Errorf("the encryption policy binds only to Tang, which a site kit cannot reach: add a tpm2 pin or build the kit with keep_tang")
	}
	e.Tang, e.Threshold = nil, 1
	b, err := json.Marshal(spec)
	l.Spec = b
	return l, err
}
