package grubpc

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"ingot.dev/ingot/internal/testenv"
)

// disk is an in-memory disk.
type disk []byte

func (d disk) WriteAt(p []byte, off int64) (int, error) { return copy(d[off:], p), nil }
func (d disk) ReadAt(p []byte, off int64) (int, error)  { return copy(p, d[off:]), nil }

// code is boot code shaped like GRUB's: a boot.img with its signature and a
// core.img of three and a half sectors of recognisable bytes.
func code() Code {
	boot := bytes.Repeat([]byte{0xb0}, Sector)
	boot[510], boot[511] = 0x55, 0xaa
	core := make([]byte, 3*Sector+100)
	for i := range core {
		core[i] = byte(i % 251)
	}
	return Code{Boot: boot, Core: core}
}

func TestInstallRead(t *testing.T) {
	d := make(disk, 8<<20)
	table := bytes.Repeat([]byte{0xee}, Sector-codeLen) // disk signature, partitions, 55aa
	table[len(table)-2], table[len(table)-1] = 0x55, 0xaa
	copy(d[codeLen:], table)
	c := code()
	orig := append([]byte(nil), c.Core...)
	const lba = 2048
	if err := c.Install(d, lba, 2048); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Core, orig) {
		t.Error("Install changed the caller's core.img")
	}
	if !bytes.Equal(d[codeLen:Sector], table) {
		t.Error("Install wrote over the partition table")
	}
	if got := binary.LittleEndian.Uint64(d[kernelSector:]); got != lba {
		t.Errorf("boot.img points at sector %d, want %d", got, lba)
	}
	if d[driveCheck] != 0x90 || d[driveCheck+1] != 0x90 {
		t.Error("boot.img's drive check is not patched out")
	}
	bl := d[lba*Sector+blocklistOffset:]
	if start, n := binary.LittleEndian.Uint64(bl), binary.LittleEndian.Uint16(bl[8:]); start != lba+1 || n != 3 {
		t.Errorf("blocklist: %d sectors at %d, want 3 at %d", n, start, lba+1)
	}

	// What was installed can be read back and installed elsewhere: the
	// installer's way from an image's disk payload to a layout's disks.
	got, err := Read(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Core) != 4*Sector || !bytes.Equal(got.Core[:blocklistOffset], orig[:blocklistOffset]) || !bytes.Equal(got.Core[Sector:len(orig)], orig[Sector:]) {
		t.Error("Read returned another core.img")
	}
	if !bytes.Equal(got.Boot[:codeLen], d[:codeLen]) || got.Validate() != nil {
		t.Errorf("Read returned another boot.img: %v", got.Validate())
	}
	other := make(disk, 8<<20)
	const lba2 = 40
	if err := got.Install(other, lba2, 100); err != nil {
		t.Fatal(err)
	}
	again, err := Read(other)
	if err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint64(other[kernelSector:]) != lba2 || !bytes.Equal(again.Core[Sector:], got.Core[Sector:]) {
		t.Error("boot code moved to sector 40 does not point there or lost core.img")
	}
}

func TestRefuses(t *testing.T) {
	short := code()
	short.Boot = short.Boot[:100]
	unsigned := code()
	unsigned.Boot = bytes.Repeat([]byte{1}, Sector)
	for _, tc := range []struct {
		name  string
		c     Code
		parts uint64
		want  string
	}{
		{"core too big", code(), 3, "4 sectors do not fit the 3-sector BIOS boot partition"},
		{"short boot.img", short, 2048, "100 bytes, want 512"},
		{"no signature", unsigned, 2048, "no boot signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := make(disk, 4<<20)
			err := tc.c.Install(d, 2048, tc.parts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if !bytes.Equal(d, make(disk, 4<<20)) {
				t.Error("a refused install wrote to the disk")
			}
		})
	}
	if _, err := Read(make(disk, 4<<20)); err == nil || !strings.Contains(err.Error(), "no GRUB boot code") {
		t.Errorf("Read of a blank disk: %v", err)
	}
	d := make(disk, 4<<20)
	if err := code().Install(d, 2048, 2048); err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint64(d[2048*Sector+blocklistOffset:], 7)
	if _, err := Read(d); err == nil || !strings.Contains(err.Error(), "blocklist starts at sector 7, want 2049") {
		t.Errorf("Read with a broken blocklist: %v", err)
	}
}

// TestGRUBBootImg installs the host's real boot.img.
func TestGRUBBootImg(t *testing.T) {
	boot, err := os.ReadFile("/usr/lib/grub/i386-pc/boot.img")
	if err != nil {
		testenv.Skip(t, "no GRUB i386-pc boot.img on this machine (Debian package grub-pc-bin): %v", err)
	}
	c := code()
	c.Boot = boot
	d := make(disk, 4<<20)
	if err := c.Install(d, 2048, 2048); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(d); err != nil {
		t.Fatal(err)
	}
}
