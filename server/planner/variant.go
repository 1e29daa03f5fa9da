package planner

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"ingot.dev/ingot/api"
)

// want is what the host's inventory says about how it boots; nil fields
// are unknown.
type want struct {
	Arch       *api.Arch     `json:"arch"`
	Firmware   *api.Firmware `json:"firmware"`
	SecureBoot *bool         `json:"secure_boot"`
}

func (w want) known() bool { return w.Arch != nil || w.Firmware != nil || w.SecureBoot != nil }

func (w want) matches(v api.Variant) bool {
	return (w.Arch == nil || *w.Arch == v.Arch) &&
		(w.Firmware == nil || *w.Firmware == v.Firmware) &&
		(w.SecureBoot == nil || *w.SecureBoot == v.SecureBoot)
}

func (w want) String() string {
	arch, fw, sb := "any", "any", "any"
	if w.Arch != nil {
		arch = string(*w.Arch)
	}
	if w.Firmware != nil {
		fw = string(*w.Firmware)
	}
	if w.SecureBoot != nil {
		sb = fmt.Sprint(*w.SecureBoot)
	}
	return fmt.Sprintf("arch=%s firmware=%s secure_boot=%s", arch, fw, sb)
}

// PickVariant chooses the variant of set for h (a *PlanError when none
// fits). With inventory, variants must match every known key; without, a
// set's only variant is taken.
// Among several candidates amd64 is preferred, then UEFI, then secure boot
// off.
func PickVariant(h api.Host, set api.ImageSet) (api.Variant, error) {
	var w want
	if len(h.Inventory) > 0 {
		if err := json.Unmarshal(h.Inventory, &w); err != nil {
			return api.Variant{}, &PlanError{Field: "inventory", Message: fmt.Sprintf("inventory of host %s is not valid JSON: %v", h.Name, err)}
		}
	}
	if len(set.Variants) == 0 {
		return api.Variant{}, &PlanError{Field: "image_set", Message: fmt.Sprintf("image set %s has no variants; add an image to it", set.Name)}
	}
	if !w.known() && len(set.Variants) == 1 {
		return set.Variants[0], nil
	}
	var cands []api.Variant
	for _, v := range set.Variants {
		if w.matches(v) {
			cands = append(cands, v)
		}
	}
	if len(cands) == 0 {
		return api.Variant{}, &PlanError{Field: "variant", Message: fmt.Sprintf(
			"image set %s has no variant for host %s (%s); it has %s",
			set.Name, h.Name, w, keys(set.Variants))}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if si, sj := score(cands[i]), score(cands[j]); si != sj {
			return si > sj
		}
		return cands[i].Key() < cands[j].Key()
	})
	return cands[0], nil
}

// score ranks variants when the host does not decide: amd64, UEFI, no
// secure boot.
func score(v api.Variant) int {
	s := 0
	if v.Arch == api.ArchAMD64 {
		s += 4
	}
	if v.Firmware == api.FirmwareUEFI {
		s += 2
	}
	if !v.SecureBoot {
		s++
	}
	return s
}

func keys(vs []api.Variant) string {
	ks := make([]string, len(vs))
	for i, v := range vs {
		ks[i] = v.Key()
	}
	return strings.Join(ks, ", ")
}
