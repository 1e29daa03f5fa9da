package quirks

import (
	"encoding/json"
	"sync"

	"ingot.dev/ingot/redfish"
)

// Registry keeps the quirks learned per kind of BMC. Lookup falls back from
// vendor+model+firmware to vendor+model to vendor. It is safe for
// concurrent use and JSON-serializable for the server to persist.
type Registry struct {
	mu sync.Mutex
	m  map[Key]redfish.Quirks
}

// Learn records a probe's quirks under its key, stripped of the paths that
// belong to that one BMC.
func (r *Registry) Learn(rep Report) {
	q := rep.Quirks
	q.SystemPath, q.ManagerPath, q.ResetPath, q.MediaPath = "", "", "", ""
	q.MediaInsertPath, q.MediaEjectPath, q.BootSettingsPath = "", "", ""
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[Key]redfish.Quirks{}
	}
	r.m[rep.Key] = q
}

// Lookup returns the closest known quirks for k.
func (r *Registry) Lookup(k Key) (redfish.Quirks, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, try := range []Key{k, {k.Vendor, k.Model, ""}, {k.Vendor, "", ""}} {
		if q, ok := r.m[try]; ok {
			return q, true
		}
	}
	for key, q := range r.m { // a sibling firmware of the same model
		if key.Vendor == k.Vendor && key.Model == k.Model {
			return q, true
		}
	}
	return redfish.Quirks{}, false
}

type entry struct {
	Key    Key
	Quirks redfish.Quirks
}

// MarshalJSON writes the registry as a list of entries.
func (r *Registry) MarshalJSON() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]entry, 0, len(r.m))
	for k, q := range r.m {
		out = append(out, entry{k, q})
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Registry) UnmarshalJSON(b []byte) error {
	var in []entry
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m = make(map[Key]redfish.Quirks, len(in))
	for _, e := range in {
		r.m[e.Key] = e.Quirks
	}
	return nil
}
