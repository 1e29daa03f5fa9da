package storage

import (
	"fmt"
	"strings"

	"ingot.dev/ingot/installer/layout"
)

// UUIDs are the identifiers the built stack got, by device path: filesystem
// UUIDs (blkid), LUKS UUIDs (cryptsetup luksUUID) and md array UUIDs
// (mdadm --detail --export MD_UUID).
type UUIDs struct {
	FS   map[string]string
	LUKS map[string]string
	MD   map[string]string
}

// Fstab renders /etc/fstab for the target: filesystems by UUID, the root
// checked first, the others after, swap never.
func Fstab(sp layout.StoragePlan, ids UUIDs) string {
	var b strings.Builder
	b.WriteString("# /etc/fstab: written by the Ingot installer from the hostgroup's layout.\n")
	for _, fs := range sp.Filesystems {
		opts := strings.Join(fs.Options, ",")
		if opts == "" {
			opts = "defaults"
		}
		pass := 2
		switch {
		case fs.Mount == "/":
			pass = 1
		case fs.Type == layout.Swap || fs.Type == layout.XFS:
			pass = 0
		}
		typ := string(fs.Type)
		if fs.Type == layout.VFAT && len(fs.Replicas) > 0 {
			opts += ",nofail" // a mirror boots with one ESP missing
		}
		fmt.Fprintf(&b, "UUID=%s\t%s\t%s\t%s\t0\t%d\n", ids.FS[fs.Device], fs.Mount, typ, opts, pass)
	}
	return b.String()
}

// Crypttab renders /etc/crypttab: every LUKS volume by UUID with no key
// file, which clevis's initramfs hook unlocks from the LUKS2 token.
func Crypttab(sp layout.StoragePlan, ids UUIDs) string {
	var b strings.Builder
	b.WriteString("# /etc/crypttab: written by the Ingot installer; clevis unlocks these from their LUKS2 tokens.\n")
	for _, v := range sp.LUKS {
		fmt.Fprintf(&b, "%s\tUUID=%s\tnone\tluks,discard,initramfs\n", v.Name, ids.LUKS[v.Device])
	}
	return b.String()
}

// MdadmConf renders /etc/mdadm/mdadm.conf.
func MdadmConf(sp layout.StoragePlan, ids UUIDs) string {
	var b strings.Builder
	b.WriteString("# mdadm.conf: written by the Ingot installer.\nHOMEHOST <system>\nMAILADDR root\n")
	for _, a := range sp.Arrays {
		fmt.Fprintf(&b, "ARRAY %s metadata=%s UUID=%s name=%s\n", a.Device, a.Metadata, ids.MD[a.Device], a.Name)
	}
	return b.String()
}
