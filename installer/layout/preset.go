package layout

import (
	"fmt"
	"slices"
)

// Presets lists the built-in layouts: single, mirror, cis, mirror+cis.
func Presets() []string { return []string{"single", "mirror", "cis", "mirror+cis"} }

// Preset returns a built-in layout. With enc set, the data device (the root
// partition or array, or the LVM physical volume) is a LUKS2 volume named
// "crypt" unlocked by enc. Every preset has a 1 MiB BIOS boot partition and
// an ESP on every disk so the same layout boots with BIOS or UEFI; a mirror
// keeps one ESP per disk (see docs/layouts.md) and /boot on md RAID1.
func Preset(name string, enc *Encryption) (Layout, error) {
	if !slices.Contains(Presets(), name) {
		return Layout{}, fmt.Errorf("unknown layout preset %q: want one of %v", name, Presets())
	}
	mirror := name == "mirror" || name == "mirror+cis"
	cis := name == "cis" || name == "mirror+cis"
	l := Layout{Encryption: enc}
	g := DiskGroup{Name: "os", Count: 1, Partitions: []Partition{
		{Name: "bios", Size: MiB, Type: BIOSBoot, Label: "bios"},
		{Name: "esp", Size: 512 * MiB, Type: ESP, Label: "esp"},
		{Name: "boot", Size: GiB, Type: Linux, Label: "boot"},
		{Name: "data", Size: Rest, Type: Linux, Label: "data"},
	}}
	boot, data := "boot", "data"
	if cis {
		g.Partitions[3].Type = LVM
	}
	if mirror {
		g.Count = 2
		g.Partitions[2].Type, g.Partitions[3].Type = RAID, RAID
		l.Arrays = []Array{
			{Name: "md-boot", Level: 1, Devices: []string{"boot"}, Metadata: "1.2"},
			{Name: "md-data", Level: 1, Devices: []string{"data"}, Metadata: "1.2"},
		}
		boot, data = "md-boot", "md-data"
	}
	l.Disks = []DiskGroup{g}
	if enc != nil {
		l.LUKS = []LUKSVolume{{Name: "crypt", Device: data}}
		data = "crypt"
	}
	l.Filesystems = []Filesystem{
		{Device: "esp", Type: VFAT, Mount: "/boot/efi", Options: []string{"umask=0077"}, Label: "ESP"},
		{Device: boot, Type: Ext4, Mount: "/boot", Options: []string{"nodev", "nosuid"}, Label: "boot"},
	}
	if !cis {
		l.Filesystems = append(l.Filesystems, Filesystem{Device: data, Type: Ext4, Mount: "/", Label: "root"})
		return l, nil
	}
	l.Benchmark = "cis"
	vg := VolumeGroup{Name: "vg0", Devices: []string{data}}
	for _, m := range CISMounts() {
		vg.Volumes = append(vg.Volumes, LogicalVolume{Name: m.Volume, Size: m.Size})
		l.Filesystems = append(l.Filesystems, Filesystem{
			Device: "vg0/" + m.Volume, Type: m.Type, Mount: m.Mount, Options: m.Options, Label: m.Volume,
		})
	}
	l.VolumeGroups = []VolumeGroup{vg}
	return l, nil
}

// CISMount is one mount point the CIS preset makes separate, with the mount
// options CIS Debian and the DISA STIG require (docs/layouts.md maps each to
// its rule).
type CISMount struct {
	Mount   string
	Volume  string
	Size    Size
	Type    FSType
	Options []string
}

// CISMounts returns the CIS preset's logical volumes, root first and the
// volume that takes the rest last. The sizes are small defaults (10 GiB
// before /home); a hostgroup copies the preset and grows them.
func CISMounts() []CISMount {
	hard := []string{"nodev", "nosuid", "noexec"}
	return []CISMount{
		{"/", "root", 4 * GiB, Ext4, nil},
		{"/tmp", "tmp", GiB, Ext4, hard},
		{"/var", "var", 2 * GiB, Ext4, []string{"nodev", "nosuid"}},
		{"/var/tmp", "var_tmp", GiB, Ext4, hard},
		{"/var/log", "var_log", GiB, Ext4, hard},
		{"/var/log/audit", "var_log_audit", GiB, Ext4, hard},
		{"/home", "home", Rest, Ext4, []string{"nodev", "nosuid"}},
	}
}
