package assemble

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

const (
	sector     = 512
	gptEntries = 128
	entrySize  = 128
	// entryLBAs is the size of the partition entry array in sectors.
	entryLBAs = gptEntries * entrySize / sector
)

// GUID is a GPT GUID in its on-disk (mixed-endian) byte order.
type GUID [16]byte

// ParseGUID parses the textual form "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709".
func ParseGUID(s string) (GUID, error) {
	u, err := parseUUID(s)
	if err != nil {
		return GUID{}, err
	}
	return guidFromUUID(u), nil
}

func mustGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// guidFromUUID turns big-endian UUID bytes into GPT byte order: the first
// three fields are little-endian.
func guidFromUUID(u UUID) GUID {
	var g GUID
	copy(g[:], u[:])
	g[0], g[1], g[2], g[3] = u[3], u[2], u[1], u[0]
	g[4], g[5] = u[5], u[4]
	g[6], g[7] = u[7], u[6]
	return g
}

// Partition is one GPT entry. First and Last are inclusive LBAs.
type Partition struct {
	Type        GUID
	GUID        GUID
	First, Last uint64
	Name        string
	Attributes  uint64
}

// GPT is a partition table for a disk of Sectors 512-byte sectors.
type GPT struct {
	DiskGUID   GUID
	Sectors    uint64
	Partitions []Partition
}

// Write writes the protective MBR, the primary header and entries, and the
// backup entries and header at the end of the disk.
func (t GPT) Write(w io.WriterAt) error {
	if len(t.Partitions) > gptEntries {
		return fmt.Errorf("gpt: %d partitions, at most %d", len(t.Partitions), gptEntries)
	}
	entries := make([]byte, gptEntries*entrySize)
	for i, p := range t.Partitions {
		if p.First < 2+entryLBAs || p.Last < p.First || p.Last > t.Sectors-2-entryLBAs {
			return fmt.Errorf("gpt: partition %d (%s) sectors %d-%d outside the usable area", i+1, p.Name, p.First, p.Last)
		}
		e := entries[i*entrySize:]
		copy(e[0:16], p.Type[:])
		copy(e[16:32], p.GUID[:])
		binary.LittleEndian.PutUint64(e[32:], p.First)
		binary.LittleEndian.PutUint64(e[40:], p.Last)
		binary.LittleEndian.PutUint64(e[48:], p.Attributes)
		for j, c := range utf16.Encode([]rune(p.Name)) {
			if j >= 36 {
				break
			}
			binary.LittleEndian.PutUint16(e[56+2*j:], c)
		}
	}
	entriesCRC := crc32.ChecksumIEEE(entries)
	last := t.Sectors - 1
	primary := t.header(1, last, 2, entriesCRC)
	backup := t.header(last, 1, last-entryLBAs, entriesCRC)
	for _, wr := range []struct {
		b   []byte
		lba uint64
	}{
		{protectiveMBR(t.Sectors), 0}, {primary, 1}, {entries, 2},
		{entries, last - entryLBAs}, {backup, last},
	} {
		if _, err := w.WriteAt(wr.b, int64(wr.lba)*sector); err != nil {
			return fmt.Errorf("writing gpt: %w", err)
		}
	}
	return nil
}

func (t GPT) header(self, alternate, entriesLBA uint64, entriesCRC uint32) []byte {
	h := make([]byte, sector)
	copy(h, "EFI PART")
	binary.LittleEndian.PutUint32(h[8:], 0x00010000)
	binary.LittleEndian.PutUint32(h[12:], 92)
	binary.LittleEndian.PutUint64(h[24:], self)
	binary.LittleEndian.PutUint64(h[32:], alternate)
	binary.LittleEndian.PutUint64(h[40:], 2+entryLBAs)
	binary.LittleEndian.PutUint64(h[48:], t.Sectors-2-entryLBAs)
	copy(h[56:72], t.DiskGUID[:])
	binary.LittleEndian.PutUint64(h[72:], entriesLBA)
	binary.LittleEndian.PutUint32(h[80:], gptEntries)
	binary.LittleEndian.PutUint32(h[84:], entrySize)
	binary.LittleEndian.PutUint32(h[88:], entriesCRC)
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
	return h
}

// protectiveMBR is sector 0: one partition of type 0xEE covering the disk.
// Boot code, if any, is written over its first 440 bytes later.
func protectiveMBR(sectors uint64) []byte {
	b := make([]byte, sector)
	p := b[446:]
	p[1], p[2], p[3] = 0x00, 0x02, 0x00 // CHS of LBA 1
	p[4] = 0xEE
	p[5], p[6], p[7] = 0xFF, 0xFF, 0xFF
	binary.LittleEndian.PutUint32(p[8:], 1)
	size := sectors - 1
	if size > 0xFFFFFFFF {
		size = 0xFFFFFFFF
	}
	binary.LittleEndian.PutUint32(p[12:], uint32(size))
	b[510], b[511] = 0x55, 0xAA
	return b
}
