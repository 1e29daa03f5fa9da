package layout

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
)

// StoragePlan is a layout resolved against one host: which disk gets which
// partitions, and the block devices, arrays, LUKS volumes, logical volumes
// and filesystems built on them, in the order they are created.
type StoragePlan struct {
	Disks        []PlannedDisk        `json:"disks"`
	Arrays       []PlannedArray       `json:"arrays,omitempty"`
	LUKS         []PlannedLUKS        `json:"luks,omitempty"`
	VolumeGroups []PlannedVolumeGroup `json:"volume_groups,omitempty"`
	Filesystems  []PlannedFilesystem  `json:"filesystems"`
	Encryption   *Encryption          `json:"encryption,omitempty"`
}

// PlannedDisk is one disk of a group and its partitions.
type PlannedDisk struct {
	Group      string             `json:"group"`
	Disk       plan.Disk          `json:"disk"`
	Partitions []PlannedPartition `json:"partitions"`
}

// PlannedPartition is one GPT partition, with its byte offset and size.
type PlannedPartition struct {
	Name     string        `json:"name"`
	Number   int           `json:"number"`
	Type     PartitionType `json:"type"`
	TypeGUID string        `json:"type_guid"`
	Label    string        `json:"label,omitempty"`
	Start    int64         `json:"start"`
	Size     int64         `json:"size"`
	Device   string        `json:"device"`
}

// PlannedArray is one md RAID1 array.
type PlannedArray struct {
	Name     string   `json:"name"`
	Device   string   `json:"device"`
	Level    int      `json:"level"`
	Metadata string   `json:"metadata"`
	Members  []string `json:"members"`
}

// PlannedLUKS is one LUKS2 volume on a device.
type PlannedLUKS struct {
	Name   string `json:"name"`
	Device string `json:"device"`
	Mapper string `json:"mapper"`
}

// PlannedVolumeGroup is one LVM volume group.
type PlannedVolumeGroup struct {
	Name    string                 `json:"name"`
	Devices []string               `json:"devices"`
	Volumes []PlannedLogicalVolume `json:"volumes"`
}

// PlannedLogicalVolume is one logical volume; Size -1 takes the free rest.
type PlannedLogicalVolume struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Device string `json:"device"`
}

// PlannedFilesystem is one filesystem. Replicas are the other copies of a
// replicated ESP, formatted alike and kept in sync with Device.
type PlannedFilesystem struct {
	Device   string   `json:"device"`
	Replicas []string `json:"replicas,omitempty"`
	Type     FSType   `json:"type"`
	Mount    string   `json:"mount"`
	Options  []string `json:"options,omitempty"`
	Label    string   `json:"label,omitempty"`
}

// Overheads Plan reserves when it checks that fixed sizes fit: an md 1.2
// data offset (mdadm uses up to 128 MiB on big members), a LUKS2 header,
// LVM metadata and extent rounding, and the backup GPT at a disk's end.
const (
	mdOverhead   = 128 << 20
	luksOverhead = 16 << 20
	lvmOverhead  = 4 << 20
	gptTail      = 1 << 20
	alignment    = 1 << 20
)

// Plan resolves l against a host's inventory. It fails, naming the field
// and what to do, when l is invalid, when too few disks match a group, when
// partitions or volumes do not fit, or when the encryption policy needs a
// TPM 2.0 the host does not have.
func Plan(l Layout, inv plan.Inventory) (StoragePlan, error) {
	if errs := Validate(l); len(errs) > 0 {
		all := make([]error, len(errs))
		for i, e := range errs {
			all[i] = e
		}
		return StoragePlan{}, fmt.Errorf("invalid layout: %w", errors.Join(all...))
	}
	if err := checkHost(l, inv); err != nil {
		return StoragePlan{}, err
	}
	p := &planner{sp: StoragePlan{Encryption: l.Encryption}, paths: map[string][]string{}, sizes: map[string]int64{}}
	taken := map[string]bool{}
	for i, g := range l.Disks {
		if err := p.group(fmt.Sprintf("disks[%d]", i), g, inv.Disks, taken); err != nil {
			return StoragePlan{}, err
		}
	}
	p.arrays(l.Arrays)
	for _, v := range l.LUKS {
		dev := p.paths[v.Device][0]
		mapper := "/dev/mapper/" + v.Name
		p.sp.LUKS = append(p.sp.LUKS, PlannedLUKS{Name: v.Name, Device: dev, Mapper: mapper})
		p.set(v.Name, []string{mapper}, p.sizes[v.Device]-luksOverhead)
	}
	for i, vg := range l.VolumeGroups {
		if err := p.volumeGroup(fmt.Sprintf("volume_groups[%d]", i), vg); err != nil {
			return StoragePlan{}, err
		}
	}
	for _, fs := range l.Filesystems {
		devs := p.paths[fs.Device]
		p.sp.Filesystems = append(p.sp.Filesystems, PlannedFilesystem{
			Device: devs[0], Replicas: devs[1:], Type: fs.Type, Mount: fs.Mount,
			Options: fs.Options, Label: fs.Label,
		})
	}
	return p.sp, nil
}

func checkHost(l Layout, inv plan.Inventory) error {
	if e := l.Encryption; e != nil && e.TPM2 != nil && (!inv.TPM.Present || inv.TPM.Version != "" && inv.TPM.Version != "2.0") {
		have := "no TPM"
		if inv.TPM.Present {
			have = "a TPM " + inv.TPM.Version
		}
		return fmt.Errorf("encryption.tpm2: the layout seals to a TPM 2.0 but the host has %s: enable the TPM in the firmware, or remove tpm2 from the hostgroup's encryption policy", have)
	}
	i := slices.IndexFunc(l.Filesystems, func(fs Filesystem) bool { return fs.Mount == "/boot/efi" })
	switch {
	case inv.Firmware == api.FirmwareUEFI && i < 0:
		return fmt.Errorf("filesystems: the host boots with UEFI but the layout mounts no ESP at /boot/efi: add an esp partition with a vfat filesystem")
	case inv.Firmware == api.FirmwareBIOS && i < 0:
		// GRUB's BIOS core finds the ESP and reads the kernel from it.
		return fmt.Errorf("filesystems: the host boots with legacy BIOS and GRUB reads the kernel from the ESP, but the layout mounts no ESP at /boot/efi: add an esp partition with a vfat filesystem")
	case inv.Firmware == api.FirmwareBIOS:
		for gi, g := range l.Disks {
			hasESP := slices.ContainsFunc(g.Partitions, func(p Partition) bool { return p.Name == l.Filesystems[i].Device })
			if hasESP && !slices.ContainsFunc(g.Partitions, func(p Partition) bool { return p.Type == BIOSBoot }) {
				return fmt.Errorf("disks[%d]: the host boots with legacy BIOS but disk group %s, which holds the ESP, has no bios-boot partition for GRUB's boot code: add one (1 MiB, type bios-boot), or switch the machine to UEFI", gi, g.Name)
			}
		}
	}
	return nil
}

type planner struct {
	sp    StoragePlan
	paths map[string][]string // device name -> block device paths
	sizes map[string]int64    // device name -> usable bytes (smallest copy)
}

func (p *planner) set(name string, paths []string, size int64) {
	p.paths[name], p.sizes[name] = paths, size
}

func (p *planner) group(path string, g DiskGroup, disks []plan.Disk, taken map[string]bool) error {
	var ok []plan.Disk
	var why []string
	for _, d := range disks {
		if taken[d.Path] {
			why = append(why, d.Name+": already taken by another disk group")
		} else if m, reason := g.Select.Match(d); m {
			ok = append(ok, d)
		} else {
			why = append(why, d.Name+": "+reason)
		}
	}
	want := max(g.Count, 1)
	if len(ok) < want {
		return fmt.Errorf("%s: disk group %q needs %d disks, %d match (%s): change the selector or the count",
			path, g.Name, want, len(ok), strings.Join(why, "; "))
	}
	slices.SortFunc(ok, func(a, b plan.Disk) int {
		return cmp.Or(cmp.Compare(a.SizeBytes, b.SizeBytes), strings.Compare(a.Name, b.Name))
	})
	ok = ok[:want]
	smallest := ok[0].SizeBytes
	end := (smallest - gptTail) / alignment * alignment
	start := int64(alignment)
	parts := make([]PlannedPartition, len(g.Partitions))
	for j, part := range g.Partitions {
		size := int64(part.Size)
		if part.Size == Rest {
			size = end - start
		}
		if size < alignment || start+size > end {
			return fmt.Errorf("%s.partitions[%d]: partition %q (%s) does not fit on %s (%s): make it or the partitions before it smaller, or select bigger disks",
				path, j, part.Name, part.Size, ok[0].Name, Size(smallest))
		}
		parts[j] = PlannedPartition{Name: part.Name, Number: j + 1, Type: part.Type, TypeGUID: part.Type.GUID(), Label: part.Label, Start: start, Size: size}
		start += size
	}
	for _, d := range ok {
		taken[d.Path] = true
		pd := PlannedDisk{Group: g.Name, Disk: d, Partitions: slices.Clone(parts)}
		for j := range pd.Partitions {
			pd.Partitions[j].Device = PartitionDevice(d.Path, j+1)
		}
		p.sp.Disks = append(p.sp.Disks, pd)
	}
	for j, part := range parts {
		var devs []string
		for _, d := range ok {
			devs = append(devs, PartitionDevice(d.Path, j+1))
		}
		p.set(part.Name, devs, part.Size)
	}
	return nil
}

func (p *planner) arrays(as []Array) {
	for _, a := range as {
		var members []string
		size := int64(-1)
		for _, d := range a.Devices {
			members = append(members, p.paths[d]...)
			if size < 0 || p.sizes[d] < size {
				size = p.sizes[d]
			}
		}
		md := a.Metadata
		if md == "" {
			md = "1.2"
		}
		dev := "/dev/md/" + a.Name
		p.sp.Arrays = append(p.sp.Arrays, PlannedArray{Name: a.Name, Device: dev, Level: 1, Metadata: md, Members: members})
		p.set(a.Name, []string{dev}, size-min(size/8, mdOverhead))
	}
}

func (p *planner) volumeGroup(path string, vg VolumeGroup) error {
	pv := PlannedVolumeGroup{Name: vg.Name}
	var free int64
	for _, d := range vg.Devices {
		pv.Devices = append(pv.Devices, p.paths[d][0])
		free += p.sizes[d] - lvmOverhead
	}
	for j, lv := range vg.Volumes {
		size := int64(lv.Size)
		if lv.Size != Rest {
			free -= size
		}
		if free < 0 || lv.Size == Rest && free < alignment {
			return fmt.Errorf("%s.volumes[%d]: logical volume %q (%s) does not fit in volume group %q: make the volumes smaller or select bigger disks",
				path, j, lv.Name, lv.Size, vg.Name)
		}
		dev := "/dev/" + vg.Name + "/" + lv.Name
		pv.Volumes = append(pv.Volumes, PlannedLogicalVolume{Name: lv.Name, Size: size, Device: dev})
		p.set(vg.Name+"/"+lv.Name, []string{dev}, size)
	}
	p.sp.VolumeGroups = append(p.sp.VolumeGroups, pv)
	return nil
}

// PartitionDevice returns the device of partition n on disk dev: /dev/sda2,
// /dev/nvme0n1p2, /dev/loop0p2.
func PartitionDevice(dev string, n int) string {
	if last := dev[len(dev)-1]; last >= '0' && last <= '9' {
		return fmt.Sprintf("%sp%d", dev, n)
	}
	return fmt.Sprintf("%s%d", dev, n)
}
