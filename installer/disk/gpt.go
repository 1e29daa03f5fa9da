package disk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

const sector = 512

// Partition type GUIDs (in their on-disk mixed-endian form) of partitions
// GrowGPT may grow: Linux filesystem data and the x86-64 / arm64 root.
var growable = [][16]byte{
	guid("0FC63DAF-8483-4772-8E79-3D69D8477DE4"),
	guid("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"),
	guid("B921B045-1DF0-41C3-AF44-4C6F280D3FAE"),
}

// ErrNoGPT means the disk has no GUID partition table to grow.
var ErrNoGPT = errors.New("no GPT found")

type device interface {
	io.ReaderAt
	io.WriterAt
}

type header struct {
	raw                     []byte
	entriesLBA              uint64
	numEntries, entrySize   uint32
	lastUsable, firstUsable uint64
}

// GrowGPT moves the backup GPT of an image written to a bigger disk of size
// bytes to the disk's end, and grows the partition that ends last to the new
// end when it is a Linux filesystem or root partition. It returns that
// partition's number (1-based), or 0 when no partition grew.
func GrowGPT(dev device, size int64) (int, error) {
	h, err := readHeader(dev)
	if err != nil {
		return 0, err
	}
	entries := make([]byte, int(h.numEntries)*int(h.entrySize))
	if _, err := dev.ReadAt(entries, int64(h.entriesLBA)*sector); err != nil {
		return 0, fmt.Errorf("reading GPT entries: %w", err)
	}
	lastLBA := uint64(size/sector) - 1
	entrySectors := (uint64(len(entries)) + sector - 1) / sector
	newLastUsable := lastLBA - entrySectors - 1
	if newLastUsable < h.lastUsable {
		return 0, fmt.Errorf("disk of %d bytes is smaller than the image's partition table", size)
	}
	oldBackup := binary.LittleEndian.Uint64(h.raw[32:40])

	grown := growLast(entries, int(h.entrySize), newLastUsable)
	entriesCRC := crc32.ChecksumIEEE(entries)
	primary := h.raw
	binary.LittleEndian.PutUint64(primary[32:40], lastLBA)
	binary.LittleEndian.PutUint64(primary[48:56], newLastUsable)
	binary.LittleEndian.PutUint32(primary[88:92], entriesCRC)
	backup := bytes.Clone(primary)
	binary.LittleEndian.PutUint64(backup[24:32], lastLBA)
	binary.LittleEndian.PutUint64(backup[32:40], 1)
	binary.LittleEndian.PutUint64(backup[72:80], lastLBA-entrySectors)
	seal(primary)
	seal(backup)

	writes := []struct {
		b   []byte
		lba uint64
	}{
		{entries, lastLBA - entrySectors},
		{pad(backup), lastLBA},
		{entries, h.entriesLBA},
		{pad(primary), 1},
	}
	if oldBackup != lastLBA && oldBackup > h.lastUsable {
		writes = append([]struct {
			b   []byte
			lba uint64
		}{{make([]byte, sector), oldBackup}}, writes...)
	}
	for _, w := range writes {
		if _, err := dev.WriteAt(w.b, int64(w.lba)*sector); err != nil {
			return 0, fmt.Errorf("writing GPT at LBA %d: %w", w.lba, err)
		}
	}
	return grown, fixProtectiveMBR(dev, lastLBA)
}

func readHeader(dev io.ReaderAt) (header, error) {
	raw := make([]byte, sector)
	if _, err := dev.ReadAt(raw, sector); err != nil {
		return header{}, fmt.Errorf("reading GPT header: %w", err)
	}
	if string(raw[:8]) != "EFI PART" {
		return header{}, ErrNoGPT
	}
	hs := binary.LittleEndian.Uint32(raw[12:16])
	if hs < 92 || hs > sector {
		return header{}, fmt.Errorf("GPT header size %d is invalid", hs)
	}
	raw = raw[:hs]
	check := bytes.Clone(raw)
	binary.LittleEndian.PutUint32(check[16:20], 0)
	if crc32.ChecksumIEEE(check) != binary.LittleEndian.Uint32(raw[16:20]) {
		return header{}, errors.New("GPT header checksum is wrong: the image's partition table is damaged")
	}
	h := header{
		raw:         raw,
		firstUsable: binary.LittleEndian.Uint64(raw[40:48]),
		lastUsable:  binary.LittleEndian.Uint64(raw[48:56]),
		entriesLBA:  binary.LittleEndian.Uint64(raw[72:80]),
		numEntries:  binary.LittleEndian.Uint32(raw[80:84]),
		entrySize:   binary.LittleEndian.Uint32(raw[84:88]),
	}
	if h.entrySize < 128 || h.numEntries == 0 || h.numEntries > 1024 {
		return header{}, fmt.Errorf("GPT has %d entries of %d bytes: not supported", h.numEntries, h.entrySize)
	}
	return h, nil
}

// growLast extends the partition with the highest end LBA to end, when its
// type allows it, and returns its number.
func growLast(entries []byte, size int, end uint64) int {
	last, lastEnd := -1, uint64(0)
	for i := 0; (i+1)*size <= len(entries); i++ {
		e := entries[i*size:]
		if isZero(e[:16]) {
			continue
		}
		if pe := binary.LittleEndian.Uint64(e[40:48]); pe >= lastEnd {
			last, lastEnd = i, pe
		}
	}
	if last < 0 || lastEnd >= end {
		return 0
	}
	e := entries[last*size:]
	var typ [16]byte
	copy(typ[:], e[:16])
	for _, g := range growable {
		if typ == g {
			binary.LittleEndian.PutUint64(e[40:48], end)
			return last + 1
		}
	}
	return 0
}

func fixProtectiveMBR(dev device, lastLBA uint64) error {
	mbr := make([]byte, sector)
	if _, err := dev.ReadAt(mbr, 0); err != nil {
		return fmt.Errorf("reading MBR: %w", err)
	}
	if mbr[510] != 0x55 || mbr[511] != 0xaa || mbr[446+4] != 0xee {
		return nil
	}
	binary.LittleEndian.PutUint32(mbr[446+12:], uint32(min(lastLBA, 0xffffffff)))
	if _, err := dev.WriteAt(mbr[446:512], 446); err != nil {
		return fmt.Errorf("writing protective MBR: %w", err)
	}
	return nil
}

func seal(h []byte) {
	binary.LittleEndian.PutUint32(h[16:20], 0)
	binary.LittleEndian.PutUint32(h[16:20], crc32.ChecksumIEEE(h))
}

func pad(h []byte) []byte {
	b := make([]byte, sector)
	copy(b, h)
	return b
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// guid returns the on-disk form of a GUID string.
func guid(s string) [16]byte {
	var g [16]byte
	var raw []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			continue
		}
		var v byte
		fmt.Sscanf(s[i:i+2], "%02x", &v)
		raw = append(raw, v)
		i++
	}
	copy(g[:], raw)
	// The first three fields are little-endian.
	g[0], g[1], g[2], g[3] = g[3], g[2], g[1], g[0]
	g[4], g[5] = g[5], g[4]
	g[6], g[7] = g[7], g[6]
	return g
}

// Partition types the installer looks for.
var espType = guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")

// Partitions returns the numbers (1-based) of the root candidates (Linux
// filesystem or root type, in table order) and of the EFI system partition
// (0 when there is none).
func Partitions(dev io.ReaderAt) (linux []int, esp int, err error) {
	h, err := readHeader(dev)
	if err != nil {
		return nil, 0, err
	}
	entries := make([]byte, int(h.numEntries)*int(h.entrySize))
	if _, err := dev.ReadAt(entries, int64(h.entriesLBA)*sector); err != nil {
		return nil, 0, fmt.Errorf("reading GPT entries: %w", err)
	}
	for i := 0; (i+1)*int(h.entrySize) <= len(entries); i++ {
		var typ [16]byte
		copy(typ[:], entries[i*int(h.entrySize):])
		if typ == espType && esp == 0 {
			esp = i + 1
		}
		for _, g := range growable {
			if typ == g {
				linux = append(linux, i+1)
			}
		}
	}
	return linux, esp, nil
}
