package layout

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// Parse decodes a layout from YAML or JSON. Decoding is strict: unknown
// fields and duplicate keys are errors. A document of the form
// {"preset": NAME, "encryption": {...}} expands to the preset. Parse does
// not validate: call Validate.
func Parse(data []byte) (Layout, error) {
	var ref struct {
		Preset     string      `json:"preset"`
		Encryption *Encryption `json:"encryption,omitempty"`
	}
	if err := yaml.UnmarshalStrict(data, &ref); err == nil && ref.Preset != "" {
		return Preset(ref.Preset, ref.Encryption)
	}
	var l Layout
	if err := yaml.UnmarshalStrict(data, &l); err != nil {
		return Layout{}, fmt.Errorf("parsing layout: %w", err)
	}
	return l, nil
}

// Marshal renders l as YAML.
func Marshal(l Layout) ([]byte, error) { return yaml.Marshal(l) }
