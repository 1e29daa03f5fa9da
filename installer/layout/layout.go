// Package layout is the declarative storage spec of a hostgroup: disk
// selectors, partitions, RAID1 arrays, LUKS2 volumes, LVM, filesystems and
// mount options, its validation, the built-in presets, and Plan, which
// resolves a layout against a host's inventory into a StoragePlan ("which
// disk gets what"). It is a contract package: the server validates layouts
// with it and shows plans in dry runs, the installer executes the plans. It
// depends only on the plan contract.
package layout

// Layout is a storage spec. Devices are referred to by name: a partition
// name (on a disk group of count N it stands for its N copies), an array, a
// LUKS volume, or a logical volume "vg/lv". Names share one namespace.
type Layout struct {
	Disks        []DiskGroup   `json:"disks"`
	Arrays       []Array       `json:"arrays,omitempty"`
	LUKS         []LUKSVolume  `json:"luks,omitempty"`
	VolumeGroups []VolumeGroup `json:"volume_groups,omitempty"`
	Filesystems  []Filesystem  `json:"filesystems"`
	// Encryption is how every LUKS volume is unlocked at boot. Required
	// when LUKS lists a volume.
	Encryption *Encryption `json:"encryption,omitempty"`
	// Benchmark, when "cis", makes Validate require the separate mount
	// points and options of CISMounts.
	Benchmark string `json:"benchmark,omitempty"`
}

// DiskGroup selects Count disks and partitions each of them the same way.
type DiskGroup struct {
	Name       string      `json:"name"`
	Select     Selector    `json:"select,omitempty"`
	Count      int         `json:"count,omitempty"` // default 1
	Partitions []Partition `json:"partitions"`
}

// Selector picks disks from the inventory. Empty fields match any disk;
// Model, Serial and ByPath are shell globs. Removable disks match only a
// selector that names transport usb.
type Selector struct {
	MinSize    Size      `json:"min_size,omitempty"`
	MaxSize    Size      `json:"max_size,omitempty"`
	Model      string    `json:"model,omitempty"`
	Serial     string    `json:"serial,omitempty"`
	WWN        string    `json:"wwn,omitempty"`
	ByPath     string    `json:"by_path,omitempty"`
	Rotational *bool     `json:"rotational,omitempty"`
	Transport  Transport `json:"transport,omitempty"`
}

// Transport is the bus a disk hangs on.
type Transport string

// Transports a selector may name.
const (
	NVMe   Transport = "nvme"
	SATA   Transport = "sata"
	SCSI   Transport = "scsi"
	USB    Transport = "usb"
	Virtio Transport = "virtio"
)

// Partition is one GPT partition on every disk of its group.
type Partition struct {
	Name  string        `json:"name"`
	Size  Size          `json:"size"` // bytes, or Rest (last partition only)
	Type  PartitionType `json:"type"`
	Label string        `json:"label,omitempty"` // GPT partition name
}

// PartitionType is what a partition holds; it maps to a GPT type GUID.
type PartitionType string

// Partition types.
const (
	ESP      PartitionType = "esp"
	BIOSBoot PartitionType = "bios-boot"
	Linux    PartitionType = "linux"
	RAID     PartitionType = "raid"
	LVM      PartitionType = "lvm"
)

// GUID returns the GPT partition type GUID of t, or "" when t is unknown.
func (t PartitionType) GUID() string {
	return map[PartitionType]string{
		ESP:      "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
		BIOSBoot: "21686148-6449-6E6F-744E-656564454649",
		Linux:    "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
		RAID:     "A19D880F-05FC-4D3B-A006-743F0F84911E",
		LVM:      "E6D6D379-F507-44C2-A23C-238F2A3DF928",
	}[t]
}

// Array is an mdadm RAID1 array over the copies of one partition (or over
// named devices).
type Array struct {
	Name     string   `json:"name"`
	Level    int      `json:"level"`              // 1
	Devices  []string `json:"devices"`            // partition names; a group's partition stands for all copies
	Metadata string   `json:"metadata,omitempty"` // default "1.2"
}

// LUKSVolume is a LUKS2 container on a device, opened as /dev/mapper/Name.
type LUKSVolume struct {
	Name   string `json:"name"`
	Device string `json:"device"`
}

// VolumeGroup is an LVM volume group on physical volumes.
type VolumeGroup struct {
	Name    string          `json:"name"`
	Devices []string        `json:"devices"`
	Volumes []LogicalVolume `json:"volumes"`
}

// LogicalVolume is one LVM logical volume; it is referred to as "vg/lv".
type LogicalVolume struct {
	Name string `json:"name"`
	Size Size   `json:"size"` // bytes, or Rest (last volume only)
}

// Filesystem is a filesystem on a device and where it is mounted.
type Filesystem struct {
	Device  string   `json:"device"`
	Type    FSType   `json:"type"`
	Mount   string   `json:"mount"` // absolute path, or "swap"
	Options []string `json:"options,omitempty"`
	Label   string   `json:"label,omitempty"`
}

// FSType is a filesystem type.
type FSType string

// Filesystem types.
const (
	Ext4 FSType = "ext4"
	XFS  FSType = "xfs"
	VFAT FSType = "vfat"
	Swap FSType = "swap"
)

// Encryption is the clevis policy that unlocks the LUKS volumes: an sss
// threshold over pinned Tang servers and the TPM2.
type Encryption struct {
	// Threshold is how many of the pins must answer to unlock; default 1.
	Threshold int    `json:"threshold,omitempty"`
	Tang      []Tang `json:"tang,omitempty"`
	TPM2      *TPM2  `json:"tpm2,omitempty"`
}

// Tang is one Tang server and the thumbprints (RFC 7638, base64url, of its
// advertisement signing keys) the admin trusts. A server whose
// advertisement no listed key signed is refused.
type Tang struct {
	URL         string   `json:"url"`
	Thumbprints []string `json:"thumbprints"`
}

// TPM2 seals to the host's TPM 2.0 under a PCR policy.
type TPM2 struct {
	PCRBank string `json:"pcr_bank,omitempty"` // default sha256
	PCRIDs  []int  `json:"pcr_ids,omitempty"`  // default [7]
}

// Pins returns how many clevis pins the policy has.
func (e Encryption) Pins() int {
	n := len(e.Tang)
	if e.TPM2 != nil {
		n++
	}
	return n
}
