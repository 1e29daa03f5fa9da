package assemble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// align is the partition alignment: the manifest's chunk size, so a
// filesystem's chunks in the disk payload are the same chunks as in its own
// fs-image payload and are stored once.
const align = 4 << 20

const (
	biosBootFirst = 2048 // LBA: 1 MiB
	biosBootLast  = align/sector - 1
)

var (
	biosBootType = mustGUID("21686148-6449-6E6F-744E-656564454649")
	espType      = mustGUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
)

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// part is a filesystem image file and its size.
type part struct {
	path string
	size int64
}

// makeDisk lays out BIOS boot, ESP, root and split partitions at 4 MiB
// boundaries, copies the images in, writes the GPT and installs GRUB's BIOS
// stages.
func makeDisk(ctx context.Context, cfg Config, esp part, fss []filesystem) (string, error) {
	total := int64(align) + esp.size
	for _, f := range fss {
		total += f.size
	}
	total += align // backup GPT, rounded up to keep the size aligned
	if cfg.DiskSize > total {
		// The root gets the spare room: rebuild it at its larger size.
		fss[0].size += alignUp(cfg.DiskSize-total, align)
		total += alignUp(cfg.DiskSize-total, align)
		if err := (Ext4{Source: fss[0].stage, Out: fss[0].image, Size: fss[0].size, UUID: fss[0].uuid, Label: "root", Epoch: cfg.Epoch}).Make(ctx); err != nil {
			return "", err
		}
	}
	path := filepath.Join(cfg.OutDir, "disk.raw")
	disk, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer disk.Close()
	if err := disk.Truncate(total); err != nil {
		return "", fmt.Errorf("sizing disk image: %w", err)
	}
	t := GPT{DiskGUID: guidFromUUID(DeriveUUID(cfg.Seed, "disk")), Sectors: uint64(total / sector)}
	if cfg.Firmware != UEFI {
		t.Partitions = append(t.Partitions, Partition{Type: biosBootType, GUID: guidFromUUID(DeriveUUID(cfg.Seed, "part:bios")),
			First: biosBootFirst, Last: biosBootLast, Name: "bios-boot"})
	}
	off := int64(align)
	add := func(p part, typ GUID, name string) error {
		t.Partitions = append(t.Partitions, Partition{Type: typ, GUID: guidFromUUID(DeriveUUID(cfg.Seed, "part:"+name)),
			First: uint64(off / sector), Last: uint64((off+p.size)/sector - 1), Name: name})
		if err := copySparse(ctx, disk, off, p.path); err != nil {
			return fmt.Errorf("writing %s into the disk image: %w", name, err)
		}
		off += p.size
		return nil
	}
	if err := add(esp, espType, "esp"); err != nil {
		return "", err
	}
	for _, f := range fss {
		if err := add(part{f.image, f.size}, f.partType, f.role); err != nil {
			return "", err
		}
	}
	if err := t.Write(disk); err != nil {
		return "", err
	}
	if cfg.Firmware != UEFI {
		core, err := mkimage(ctx, cfg.OutDir, "i386-pc", mustFatID(cfg.Seed), "biosdisk")
		if err != nil {
			return "", err
		}
		if err := installBIOS(disk, core, biosBootFirst, biosBootLast-biosBootFirst+1); err != nil {
			return "", err
		}
	}
	return path, disk.Close()
}

func mustFatID(seed [32]byte) string {
	id, _ := fatSerial(seed)
	return id
}

// copySparse copies the data extents of src into dst at off, skipping holes
// (SEEK_DATA/SEEK_HOLE), so sparse filesystem images stay sparse.
func copySparse(ctx context.Context, dst *os.File, off int64, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for pos := int64(0); pos < info.Size(); {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := unix.Seek(int(f.Fd()), pos, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			return nil // only a hole remains
		} else if err != nil {
			return err
		}
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			return err
		}
		if _, err := io.CopyBuffer(io.NewOffsetWriter(dst, off+data), io.NewSectionReader(f, data, hole-data), buf); err != nil {
			return err
		}
		pos = hole
	}
	return nil
}
