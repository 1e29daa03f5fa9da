package inventory

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"ingot.dev/ingot/installer/plan"
)

// NICs lists the physical network interfaces (those backed by a device),
// sorted by name.
func NICs(sys string) []plan.NIC {
	if sys == "" {
		sys = "/sys"
	}
	es, err := os.ReadDir(filepath.Join(sys, "class/net"))
	if err != nil {
		return nil
	}
	var nics []plan.NIC
	for _, e := range es {
		dir := filepath.Join(sys, "class/net", e.Name())
		if _, err := os.Stat(filepath.Join(dir, "device")); err != nil {
			continue // lo, bridges, tunnels
		}
		n := plan.NIC{
			Name: e.Name(),
			MAC:  read(dir, "address"),
			Link: read(dir, "carrier") == "1",
		}
		if t, err := os.Readlink(filepath.Join(dir, "device/driver")); err == nil {
			n.Driver = filepath.Base(t)
		}
		if s, err := strconv.Atoi(read(dir, "speed")); err == nil && s > 0 {
			n.SpeedMbps = s
		}
		nics = append(nics, n)
	}
	sort.Slice(nics, func(i, j int) bool { return nics[i].Name < nics[j].Name })
	return nics
}
