package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/grubpc"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/stream"
)

// bootCodeHead is how much of an image's disk payload holds its BIOS boot
// code: the MBR and the BIOS boot partition the image builder puts in the
// first 4 MiB (imagebuild/assemble).
const bootCodeHead = 4 << 20

// biosBoot is GRUB's legacy-BIOS boot code, read from the image's disk
// payload, and the disks of the plan it goes on: boot.img in the MBR,
// core.img in the disk's bios-boot partition. The core finds the ESP by its
// FAT serial, which every copy of the ESP payload shares, so the machine
// boots from any disk of a mirror.
type biosBoot struct {
	code    grubpc.Code
	targets []bootTarget
}

type bootTarget struct {
	path      string
	lba, size uint64 // the bios-boot partition, in sectors
}

// planBIOSBoot fetches and verifies the boot code before any disk is
// touched. It returns nil when the image is for UEFI only or the layout has
// no bios-boot partition.
func planBIOSBoot(ctx context.Context, src stream.Source, m *manifest.Manifest, sp layout.StoragePlan) (*biosBoot, error) {
	var targets []bootTarget
	for _, d := range sp.Disks {
		i := slices.IndexFunc(d.Partitions, func(p layout.PlannedPartition) bool { return p.Type == layout.BIOSBoot })
		if i >= 0 {
			p := d.Partitions[i]
			targets = append(targets, bootTarget{d.Disk.Path, uint64(p.Start / grubpc.Sector), uint64(p.Size / grubpc.Sector)})
		}
	}
	if len(targets) == 0 || !api.Firmware(m.Firmware).Fits(api.FirmwareBIOS) {
		return nil, nil
	}
	code, err := readBootCode(ctx, src, m)
	if err != nil {
		return nil, err
	}
	return &biosBoot{code: code, targets: targets}, nil
}

// write puts the boot code on every target disk and returns their paths.
func (b *biosBoot) write() ([]string, error) {
	if b == nil {
		return nil, nil
	}
	var done []string
	for _, t := range b.targets {
		if err := writeBootCode(b.code, t.path, t.lba, t.size); err != nil {
			return done, err
		}
		done = append(done, t.path)
	}
	return done, nil
}

// readBootCode fetches (and verifies) the first chunks of the image's disk
// payload and reads GRUB's boot code from them.
func readBootCode(ctx context.Context, src stream.Source, m *manifest.Manifest) (grubpc.Code, error) {
	pl, err := stream.PickPayload(m, "disk")
	if err != nil {
		return grubpc.Code{}, fmt.Errorf("image %s is for %s firmware but has no disk payload to take the BIOS boot code from: %w", m.Name, m.Firmware, err)
	}
	var b bytes.Buffer
	if _, err := stream.CopyPayload(ctx, src, head(pl, bootCodeHead), &b, stream.Options{}); err != nil {
		return grubpc.Code{}, fmt.Errorf("fetching the BIOS boot code of image %s: %w", m.Name, err)
	}
	code, err := grubpc.Read(bytes.NewReader(b.Bytes()))
	if err != nil {
		return grubpc.Code{}, fmt.Errorf("image %s: %w", m.Name, err)
	}
	return code, nil
}

// head is the part of p that covers its first n bytes, in whole chunks (a
// chunk's hash covers all of it).
func head(p manifest.Payload, n int64) manifest.Payload {
	h := p
	h.Size = min(p.Size, (n+p.ChunkSize-1)/p.ChunkSize*p.ChunkSize)
	h.Chunks = slices.DeleteFunc(slices.Clone(p.Chunks), func(c manifest.Chunk) bool { return p.Offset(c) >= h.Size })
	return h
}

func writeBootCode(code grubpc.Code, path string, lba, size uint64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("opening %s for the BIOS boot code: %w", path, err)
	}
	err = code.Install(f, lba, size)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("BIOS boot code on %s: %w", path, err)
	}
	return nil
}
