package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"ingot.dev/ingot/installer/layout"
)

// Partition writes a fresh GPT with the planned partitions (sgdisk).
type Partition struct {
	R    Runner
	Disk layout.PlannedDisk
}

func (s *Partition) String() string { return "partition " + s.Disk.Disk.Path }

// Do zaps the disk's old tables and writes the new GPT.
func (s *Partition) Do(ctx context.Context) error {
	dev := s.Disk.Disk.Path
	if _, err := s.R.Run(ctx, nil, "wipefs", "--all", dev); err != nil {
		return err
	}
	args := []string{"--zap-all", "--clear"}
	for _, p := range s.Disk.Partitions {
		n := strconv.Itoa(p.Number)
		args = append(args,
			fmt.Sprintf("--new=%s:%d:%d", n, p.Start/512, (p.Start+p.Size)/512-1),
			"--typecode="+n+":"+p.TypeGUID, "--change-name="+n+":"+p.Label)
	}
	if _, err := s.R.Run(ctx, nil, "sgdisk", append(args, dev)...); err != nil {
		return err
	}
	_, err := s.R.Run(ctx, nil, "partx", "--update", dev)
	return err
}

// Undo removes the partition table.
func (s *Partition) Undo(ctx context.Context) error {
	_, err := s.R.Run(ctx, nil, "sgdisk", "--zap-all", s.Disk.Disk.Path)
	return err
}

// MD creates an md RAID1 array.
type MD struct {
	R     Runner
	Array layout.PlannedArray
}

func (s *MD) String() string { return "raid1 " + s.Array.Device }

// Do creates the array; the first resync runs in the background.
func (s *MD) Do(ctx context.Context) error {
	args := []string{"--create", s.Array.Device, "--run", "--level=1", "--metadata=" + s.Array.Metadata,
		"--name=" + s.Array.Name, "--raid-devices=" + strconv.Itoa(len(s.Array.Members))}
	_, err := s.R.Run(ctx, nil, "mdadm", append(args, s.Array.Members...)...)
	return err
}

// Undo stops the array and wipes the members' superblocks.
func (s *MD) Undo(ctx context.Context) error {
	_, errStop := s.R.Run(ctx, nil, "mdadm", "--stop", s.Array.Device)
	_, errZero := s.R.Run(ctx, nil, "mdadm", append([]string{"--zero-superblock"}, s.Array.Members...)...)
	if errStop != nil && errZero != nil {
		return errors.Join(errStop, errZero)
	}
	return nil
}

// LVM creates a volume group on its physical volumes and its logical
// volumes.
type LVM struct {
	R  Runner
	VG layout.PlannedVolumeGroup
}

func (s *LVM) String() string { return "lvm " + s.VG.Name }

// Do runs pvcreate, vgcreate and lvcreate.
func (s *LVM) Do(ctx context.Context) error {
	if _, err := s.R.Run(ctx, nil, "pvcreate", append([]string{"--yes", "--force"}, s.VG.Devices...)...); err != nil {
		return err
	}
	if _, err := s.R.Run(ctx, nil, "vgcreate", append([]string{"--yes", s.VG.Name}, s.VG.Devices...)...); err != nil {
		return err
	}
	for _, lv := range s.VG.Volumes {
		size := []string{"--size", strconv.FormatInt(lv.Size, 10) + "b"}
		if lv.Size < 0 {
			size = []string{"--extents", "100%FREE"}
		}
		args := append([]string{"--yes", "--wipesignatures", "y", "--name", lv.Name}, size...)
		if _, err := s.R.Run(ctx, nil, "lvcreate", append(args, s.VG.Name)...); err != nil {
			return err
		}
	}
	return nil
}

// Undo removes the volume group and the physical volume labels.
func (s *LVM) Undo(ctx context.Context) error {
	_, _ = s.R.Run(ctx, nil, "vgremove", "--yes", "--force", s.VG.Name)
	_, err := s.R.Run(ctx, nil, "pvremove", append([]string{"--yes", "--force"}, s.VG.Devices...)...)
	return err
}

// Mkfs makes a filesystem, and the same on a replicated ESP's copies.
type Mkfs struct {
	R  Runner
	FS layout.PlannedFilesystem
}

func (s *Mkfs) String() string { return "mkfs " + string(s.FS.Type) + " " + s.FS.Device }

func mkfsArgs(t layout.FSType, label, dev string) (string, []string) {
	switch t {
	case layout.XFS:
		return "mkfs.xfs", []string{"-f", "-L", label, dev}
	case layout.VFAT:
		return "mkfs.vfat", []string{"-F", "32", "-n", label, dev}
	case layout.Swap:
		return "mkswap", []string{"-L", label, dev}
	}
	return "mkfs.ext4", []string{"-F", "-q", "-L", label, dev}
}

// Do formats the device and its replicas.
func (s *Mkfs) Do(ctx context.Context) error {
	for _, dev := range append([]string{s.FS.Device}, s.FS.Replicas...) {
		name, args := mkfsArgs(s.FS.Type, s.FS.Label, dev)
		if _, err := s.R.Run(ctx, nil, name, args...); err != nil {
			return err
		}
	}
	return nil
}

// Undo wipes the signatures Do wrote.
func (s *Mkfs) Undo(ctx context.Context) error {
	_, err := s.R.Run(ctx, nil, "wipefs", append([]string{"--all"}, append([]string{s.FS.Device}, s.FS.Replicas...)...)...)
	return err
}
