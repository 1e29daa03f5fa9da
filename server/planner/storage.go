package planner

import (
	"encoding/json"
	"fmt"
	"strings"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
)

// planStorage resolves the hostgroup's layout against the host's inventory
// and returns the planned stack as lines for people. A layout that does not
// fit the host (too few or too small disks, a TPM policy on a host without
// a TPM 2.0) refuses the plan. Without an inventory the installer plans it;
// the plain single layout (the image's whole disk) has nothing to show.
func planStorage(h api.Host, g api.Hostgroup) ([]string, error) {
	l, whole, err := layout.FromHostgroup(g.Layout, g.Encryption)
	if err != nil {
		return nil, &PlanError{Field: "layout", Message: fmt.Sprintf("hostgroup %s: %v", g.Name, err)}
	}
	if whole {
		return nil, nil
	}
	if len(h.Inventory) == 0 {
		return []string{"layout " + strings.TrimSpace(g.Layout) + ": planned by the installer from the inventory it finds (host " + h.Name + " has none yet)"}, nil
	}
	var inv plan.Inventory
	if err := json.Unmarshal(h.Inventory, &inv); err != nil {
		return nil, &PlanError{Field: "inventory", Message: fmt.Sprintf("inventory of host %s is not valid JSON: %v", h.Name, err)}
	}
	sp, err := layout.Plan(l, inv)
	if err != nil {
		return nil, &PlanError{Field: "layout", Message: fmt.Sprintf("hostgroup %s's layout does not fit host %s: %v", g.Name, h.Name, err)}
	}
	var b strings.Builder
	if err := sp.Describe(&b); err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(b.String(), "\n"), "\n"), nil
}
