package kit

import (
	"strings"

	"ingot.dev/ingot/installer/plan"
)

// Match returns the kit host that inv is: a NIC's MAC, the DMI serial or
// the DMI UUID equal to the host's (case-insensitive), and why.
func (m *Manifest) Match(inv plan.Inventory) (Host, string, bool) {
	for _, h := range m.Hosts {
		if why, ok := matches(h, inv); ok {
			return h, why, true
		}
	}
	return Host{}, "", false
}

func matches(h Host, inv plan.Inventory) (string, bool) {
	for _, n := range inv.NICs {
		for _, mac := range h.MACs {
			if strings.EqualFold(n.MAC, mac) {
				return "MAC " + mac, true
			}
		}
	}
	if h.Serial != "" && strings.EqualFold(strings.TrimSpace(inv.DMI.Serial), h.Serial) {
		return "serial " + h.Serial, true
	}
	if h.UUID != "" && strings.EqualFold(strings.TrimSpace(inv.DMI.UUID), h.UUID) {
		return "system UUID " + h.UUID, true
	}
	return "", false
}
