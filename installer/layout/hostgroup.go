package layout

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// FromHostgroup resolves a hostgroup's layout and encryption fields into a
// layout. spec is a preset name (single, mirror, cis, mirror+cis) or an
// inline YAML/JSON layout; enc is empty or an inline YAML/JSON encryption
// policy, applied to a preset or to a spec without one. whole is true for the
// plain single layout without encryption: the installer then writes the
// image's whole-disk payload to one disk instead of building a stack. The
// layout returned is valid; errors name the field at fault.
func FromHostgroup(spec, enc string) (l Layout, whole bool, err error) {
	spec, enc = strings.TrimSpace(spec), strings.TrimSpace(enc)
	if (spec == "" || spec == "single") && enc == "" {
		return Layout{}, true, nil
	}
	var policy *Encryption
	if enc != "" {
		policy = new(Encryption)
		if err := yaml.UnmarshalStrict([]byte(enc), policy); err != nil {
			return Layout{}, false, fmt.Errorf("encryption: want a YAML or JSON policy (threshold, tang, tpm2): %w", err)
		}
	}
	switch {
	case spec == "":
		l, err = Preset("single", policy)
	case slices.Contains(Presets(), spec):
		l, err = Preset(spec, policy)
	default:
		l, err = Parse([]byte(spec))
		if err == nil && policy != nil {
			if l.Encryption != nil {
				return Layout{}, false, fmt.Errorf("encryption: the layout has its own encryption policy; set only one of them")
			}
			if len(l.LUKS) == 0 {
				return Layout{}, false, fmt.Errorf("encryption: the layout has no luks volumes for the policy to unlock; add luks: entries to it, or use a preset")
			}
			l.Encryption = policy
		}
	}
	if err != nil {
		return Layout{}, false, fmt.Errorf("layout: %w", err)
	}
	if errs := Validate(l); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return Layout{}, false, fmt.Errorf("layout: %s", strings.Join(msgs, "; "))
	}
	return l, false, nil
}
