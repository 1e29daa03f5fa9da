// Package grubpc places GRUB's legacy-BIOS boot code on a GPT disk the way
// grub-bios-setup does, but on any io.WriterAt: boot.img's code in the MBR,
// pointing at core.img in the BIOS boot partition, whose first sector's
// blocklist points at the rest of core.img. The image builder installs it
// into its disk images; the installer copies it from an image's disk
// payload onto every disk of a layout.
package grubpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Sector is the only sector size this code writes for.
const Sector = 512

// Offsets in GRUB's i386-pc boot.img and in the first sector of core.img
// (grub/include/grub/i386/pc/boot.h, util/setup.c).
const (
	kernelSector    = 0x5c  // u64 in boot.img: LBA where core.img starts
	driveCheck      = 0x66  // 2-byte jump in boot.img, replaced by NOPs for hard disks
	codeLen         = 440   // the MBR's boot code ends where the disk signature starts
	blocklistOffset = 0x1f4 // core.img's first sector: start LBA (u64), sectors (u16), segment (u16)
	loadSegment     = 0x820
)

// Code is GRUB's BIOS boot code: boot.img (one sector) and core.img.
type Code struct {
	Boot []byte
	Core []byte
}

// Validate reports boot code that cannot be installed.
func (c Code) Validate() error {
	switch {
	case len(c.Boot) != Sector:
		return fmt.Errorf("grub boot.img: %d bytes, want %d", len(c.Boot), Sector)
	case c.Boot[510] != 0x55 || c.Boot[511] != 0xaa:
		return errors.New("grub boot.img: no boot signature")
	case len(c.Core) < Sector:
		return fmt.Errorf("grub core.img: %d bytes, want at least one sector", len(c.Core))
	}
	return nil
}

// Sectors is the number of sectors core.img takes.
func (c Code) Sectors() uint64 { return (uint64(len(c.Core)) + Sector - 1) / Sector }

// Install writes core.img at lba (the start of a BIOS boot partition of
// partSectors sectors) and boot.img's code into the MBR, leaving the
// partition table and disk signature alone. c is not changed.
func (c Code) Install(disk io.WriterAt, lba, partSectors uint64) error {
	if err := c.Validate(); err != nil {
		return err
	}
	n := c.Sectors()
	if n > partSectors {
		return fmt.Errorf("grub core.img: %d sectors do not fit the %d-sector BIOS boot partition", n, partSectors)
	}
	core := make([]byte, n*Sector)
	copy(core, c.Core)
	boot := append([]byte(nil), c.Boot...)
	bl := core[blocklistOffset:]
	binary.LittleEndian.PutUint64(bl[0:], lba+1)
	binary.LittleEndian.PutUint16(bl[8:], uint16(n-1))
	binary.LittleEndian.PutUint16(bl[10:], loadSegment)
	binary.LittleEndian.PutUint64(boot[kernelSector:], lba)
	boot[driveCheck], boot[driveCheck+1] = 0x90, 0x90
	if _, err := disk.WriteAt(core, int64(lba)*Sector); err != nil {
		return fmt.Errorf("writing grub core.img: %w", err)
	}
	if _, err := disk.WriteAt(boot[:codeLen], 0); err != nil {
		return fmt.Errorf("writing grub boot.img: %w", err)
	}
	return nil
}

// Read returns the boot code Install put on disk: boot.img from the MBR
// (with the partition table cleared and the signature set) and core.img
// from where boot.img points, as long as its blocklist says.
func Read(disk io.ReaderAt) (Code, error) {
	mbr := make([]byte, Sector)
	if _, err := disk.ReadAt(mbr, 0); err != nil {
		return Code{}, fmt.Errorf("reading the MBR: %w", err)
	}
	lba := binary.LittleEndian.Uint64(mbr[kernelSector:])
	if mbr[driveCheck] != 0x90 || mbr[driveCheck+1] != 0x90 || lba == 0 || lba > 1<<32 {
		return Code{}, errors.New("no GRUB boot code in the MBR")
	}
	first := make([]byte, Sector)
	if _, err := disk.ReadAt(first, int64(lba)*Sector); err != nil {
		return Code{}, fmt.Errorf("reading grub core.img at sector %d: %w", lba, err)
	}
	bl := first[blocklistOffset:]
	if start := binary.LittleEndian.Uint64(bl[0:]); start != lba+1 {
		return Code{}, fmt.Errorf("grub core.img at sector %d: its blocklist starts at sector %d, want %d", lba, start, lba+1)
	}
	n := 1 + uint64(binary.LittleEndian.Uint16(bl[8:]))
	core := make([]byte, n*Sector)
	if _, err := disk.ReadAt(core, int64(lba)*Sector); err != nil {
		return Code{}, fmt.Errorf("reading grub core.img (%d sectors at %d): %w", n, lba, err)
	}
	boot := append(mbr[:codeLen:codeLen], make([]byte, Sector-codeLen)...)
	boot[510], boot[511] = 0x55, 0xaa
	return Code{Boot: boot, Core: core}, nil
}
