// Package disk picks the target disk from the inventory and adapts a written
// disk image to the disk it landed on: partition device names, re-reading
// the partition table, growing the GPT and the root filesystem.
package disk

import (
	"fmt"
	"sort"
	"strings"

	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
)

// Match says whether d satisfies sel, and if not, why: the plan's simple
// selector is a layout selector without WWN and by-path.
func Match(sel plan.DiskSelector, d plan.Disk) (bool, string) {
	return layout.Selector{
		MinSize: layout.Size(sel.MinBytes), MaxSize: layout.Size(sel.MaxBytes),
		Model: sel.Model, Serial: sel.Serial, Transport: layout.Transport(sel.Transport), Rotational: sel.Rotational,
	}.Match(d)
}

// Select returns the disk sel picks: the smallest disk that matches, ties
// broken by name, so that a big data disk is not taken for the OS by
// accident. When none matches, the error lists every disk and why.
func Select(sel plan.DiskSelector, disks []plan.Disk) (plan.Disk, error) {
	var ok []plan.Disk
	var why []string
	for _, d := range disks {
		if m, reason := Match(sel, d); m {
			ok = append(ok, d)
		} else {
			why = append(why, fmt.Sprintf("%s: %s", d.Name, reason))
		}
	}
	if len(ok) == 0 {
		if len(disks) == 0 {
			return plan.Disk{}, fmt.Errorf("no disks found: check that the disk controller's driver is in the installer")
		}
		return plan.Disk{}, fmt.Errorf("no disk matches the layout's selector %s (%s): change the hostgroup's disk selector",
			describe(sel), strings.Join(why, "; "))
	}
	sort.Slice(ok, func(i, j int) bool {
		if ok[i].SizeBytes != ok[j].SizeBytes {
			return ok[i].SizeBytes < ok[j].SizeBytes
		}
		return ok[i].Name < ok[j].Name
	})
	return ok[0], nil
}

func describe(sel plan.DiskSelector) string {
	var p []string
	add := func(k string, v any, set bool) {
		if set {
			p = append(p, fmt.Sprintf("%s=%v", k, v))
		}
	}
	add("min_bytes", sel.MinBytes, sel.MinBytes > 0)
	add("max_bytes", sel.MaxBytes, sel.MaxBytes > 0)
	add("model", sel.Model, sel.Model != "")
	add("serial", sel.Serial, sel.Serial != "")
	add("transport", sel.Transport, sel.Transport != "")
	if sel.Rotational != nil {
		add("rotational", *sel.Rotational, true)
	}
	if len(p) == 0 {
		return "{any}"
	}
	return "{" + strings.Join(p, " ") + "}"
}

// PartitionPath returns the device of partition n on disk dev: /dev/sda2,
// /dev/nvme0n1p2, /dev/mmcblk0p2.
func PartitionPath(dev string, n int) string {
	if last := dev[len(dev)-1]; last >= '0' && last <= '9' {
		return fmt.Sprintf("%sp%d", dev, n)
	}
	return fmt.Sprintf("%s%d", dev, n)
}

// Target is the disk an image is written to: a block device or, in tests,
// a file standing for one.
type Target struct {
	Path string
	Size int64
}
