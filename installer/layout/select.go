package layout

import (
	"fmt"
	"path"
	"strings"

	"ingot.dev/ingot/installer/plan"
)

// Match says whether d satisfies s, and if not, why.
func (s Selector) Match(d plan.Disk) (bool, string) {
	switch {
	case s.MinSize > 0 && d.SizeBytes < int64(s.MinSize):
		return false, fmt.Sprintf("size %s < min_size %s", Size(d.SizeBytes), s.MinSize)
	case s.MaxSize > 0 && d.SizeBytes > int64(s.MaxSize):
		return false, fmt.Sprintf("size %s > max_size %s", Size(d.SizeBytes), s.MaxSize)
	case !glob(s.Model, d.Model):
		return false, fmt.Sprintf("model %q does not match %q", d.Model, s.Model)
	case !glob(s.Serial, d.Serial):
		return false, fmt.Sprintf("serial %q does not match %q", d.Serial, s.Serial)
	case !glob(s.WWN, d.WWN):
		return false, fmt.Sprintf("wwn %q does not match %q", d.WWN, s.WWN)
	case !glob(s.ByPath, d.ByPath):
		return false, fmt.Sprintf("by-path %q does not match %q", d.ByPath, s.ByPath)
	case s.Transport != "" && !strings.EqualFold(string(s.Transport), d.Transport):
		return false, fmt.Sprintf("transport %q is not %q", d.Transport, s.Transport)
	case s.Transport != USB && d.Removable:
		return false, "removable (name transport usb to allow it)"
	case s.Rotational != nil && *s.Rotational != d.Rotational:
		return false, fmt.Sprintf("rotational is %t", d.Rotational)
	}
	return true, ""
}

func glob(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// disjoint says whether no disk can match both a and b.
func disjoint(a, b Selector) bool {
	lo := max(a.MinSize, b.MinSize)
	hiA, hiB := a.MaxSize, b.MaxSize
	if hiA > 0 && hiB > 0 && lo > min(hiA, hiB) || hiA > 0 && lo > hiA || hiB > 0 && lo > hiB {
		return true
	}
	if a.Transport != "" && b.Transport != "" && a.Transport != b.Transport {
		return true
	}
	if a.Rotational != nil && b.Rotational != nil && *a.Rotational != *b.Rotational {
		return true
	}
	for _, p := range [][2]string{{a.Model, b.Model}, {a.Serial, b.Serial}, {a.WWN, b.WWN}, {a.ByPath, b.ByPath}} {
		if literal(p[0]) && literal(p[1]) && p[0] != p[1] {
			return true
		}
	}
	return false
}

func literal(s string) bool { return s != "" && !strings.ContainsAny(s, `*?[\`) }

// overlaps reports disk groups whose selectors could pick the same disk:
// which disk gets what must not depend on the order of the groups.
func (c *checker) overlaps(gs []DiskGroup) {
	for i := range gs {
		for j := range i {
			if !disjoint(gs[i].Select, gs[j].Select) {
				c.add(fmt.Sprintf("disks[%d].select", i), "selector overlaps disks[%d] (%s): make them disjoint by size range, transport, rotational, model, serial, wwn or by_path", j, gs[j].Name)
			}
		}
	}
}
