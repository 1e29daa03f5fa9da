package kit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The report area is a partition of the stick that holds no filesystem: a
// header block naming the kit, then fixed-size slots, one per deployment,
// each a checksummed signed report. Neither the installer nor the importer
// needs a filesystem driver, and a half-written slot is detected by its
// checksum instead of corrupting its neighbours.
const (
	areaMagic = "INGOT-REPORT-AREA\n"
	slotMagic = "INGOTRP1"
	slotHead  = len(slotMagic) + 4 + sha256.Size
	// SlotSize is the room of one report, header included.
	SlotSize = 1 << 20
)

// AreaHeader is the first block of the report area.
type AreaHeader struct {
	Format   int    `json:"format"`
	Kit      string `json:"kit"`
	SlotSize int64  `json:"slot_size"`
	Slots    int    `json:"slots"`
}

// NewAreaHeader is the header of an area of size bytes for kit id: the
// first slot-sized block is the header, the rest are slots.
func NewAreaHeader(id string, size int64) (AreaHeader, []byte, error) {
	h := AreaHeader{Format: Format, Kit: id, SlotSize: SlotSize, Slots: int(size/SlotSize) - 1}
	if h.Slots < 1 {
		return h, nil, fmt.Errorf("kit: a report area of %d bytes has no room for a report (want at least %d)", size, 2*SlotSize)
	}
	b, err := json.Marshal(h)
	return h, append([]byte(areaMagic), append(b, '\n')...), err
}

// ErrNoArea is returned when a device holds no report area.
var ErrNoArea = errors.New("no Ingot report area")

// Area is an opened report area at Offset in a device or image file.
type Area struct {
	Header AreaHeader
	Offset int64
	dev    io.ReaderAt
}

// OpenArea reads the area header at off.
func OpenArea(dev io.ReaderAt, off int64) (*Area, error) {
	buf := make([]byte, 4096)
	n, err := dev.ReadAt(buf, off)
	if n < len(areaMagic) || !bytes.HasPrefix(buf, []byte(areaMagic)) {
		return nil, fmt.Errorf("%w at offset %d (%v)", ErrNoArea, off, err)
	}
	line, _, _ := bytes.Cut(buf[len(areaMagic):n], []byte("\n"))
	a := &Area{Offset: off, dev: dev}
	if err := json.Unmarshal(line, &a.Header); err != nil || a.Header.SlotSize < int64(slotHead) || a.Header.Slots < 1 {
		return nil, fmt.Errorf("report area at offset %d: bad header: %v", off, err)
	}
	return a, nil
}

func (a *Area) slotOffset(i int) int64 { return a.Offset + int64(i+1)*a.Header.SlotSize }

// Reports returns the signed reports in the area, slot by slot. A slot
// whose checksum fails is an error naming it: that report was cut short.
func (a *Area) Reports() ([]Envelope, error) {
	var out []Envelope
	var errs []error
	for i := range a.Header.Slots {
		e, ok, err := a.read(i)
		if err != nil {
			errs = append(errs, err)
		}
		if !ok {
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// read returns slot i's envelope; ok is false for an empty slot.
func (a *Area) read(i int) (Envelope, bool, error) {
	var e Envelope
	head := make([]byte, slotHead)
	if _, err := a.dev.ReadAt(head, a.slotOffset(i)); err != nil {
		return e, false, fmt.Errorf("report slot %d: %w", i, err)
	}
	if string(head[:len(slotMagic)]) != slotMagic {
		return e, false, nil
	}
	n := int64(binary.BigEndian.Uint32(head[len(slotMagic):]))
	if n > a.Header.SlotSize-int64(slotHead) {
		return e, false, fmt.Errorf("report slot %d: length %d overflows the slot", i, n)
	}
	body := make([]byte, n)
	if _, err := a.dev.ReadAt(body, a.slotOffset(i)+int64(slotHead)); err != nil {
		return e, false, fmt.Errorf("report slot %d: %w", i, err)
	}
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], head[len(slotMagic)+4:]) {
		return e, false, fmt.Errorf("report slot %d: checksum mismatch: the report was not written completely", i)
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return e, false, fmt.Errorf("report slot %d: %w", i, err)
	}
	return e, true, nil
}

// Put writes e into the slot of the same deployment, or the first empty
// one, through w (the same device). It returns the slot used.
func (a *Area) Put(w io.WriterAt, e Envelope, deployment string) (int, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	if int64(len(body)) > a.Header.SlotSize-int64(slotHead) {
		return 0, fmt.Errorf("report of %d bytes does not fit a %d-byte slot", len(body), a.Header.SlotSize)
	}
	slot := -1
	for i := range a.Header.Slots {
		old, ok, _ := a.read(i)
		if ok && slotDeployment(old) == deployment {
			slot = i
			break
		}
		if !ok && slot < 0 {
			slot = i
		}
	}
	if slot < 0 {
		return 0, fmt.Errorf("the report area is full (%d reports): import its reports and build a new kit", a.Header.Slots)
	}
	rec := make([]byte, slotHead, slotHead+len(body))
	copy(rec, slotMagic)
	binary.BigEndian.PutUint32(rec[len(slotMagic):], uint32(len(body)))
	sum := sha256.Sum256(body)
	copy(rec[len(slotMagic)+4:], sum[:])
	if _, err := w.WriteAt(append(rec, body...), a.slotOffset(slot)); err != nil {
		return 0, fmt.Errorf("writing report slot %d: %w", slot, err)
	}
	return slot, nil
}

// slotDeployment is the deployment a stored envelope reports on, read
// without verifying (verification is the server's).
func slotDeployment(e Envelope) string {
	var r struct {
		Deployment string `json:"deployment"`
	}
	_ = json.Unmarshal(e.Report, &r)
	return r.Deployment
}

// FindArea looks through the GPT of dev (a whole stick or kit image) for
// the partition holding a report area.
func FindArea(dev io.ReaderAt) (*Area, error) {
	starts, err := gptStarts(dev)
	if err != nil {
		return nil, err
	}
	for _, off := range starts {
		if a, err := OpenArea(dev, off); err == nil {
			return a, nil
		}
	}
	return nil, fmt.Errorf("%w in any of the %d partitions: is this a site kit (ingot media build --site-kit)?", ErrNoArea, len(starts))
}

// gptStarts returns the byte offsets of the GPT's partitions (512-byte
// sectors, as on USB sticks and the hybrid image).
func gptStarts(dev io.ReaderAt) ([]int64, error) {
	h := make([]byte, 92)
	if _, err := dev.ReadAt(h, 512); err != nil || string(h[:8]) != "EFI PART" {
		return nil, fmt.Errorf("%w: no GPT partition table (%v)", ErrNoArea, err)
	}
	lba := int64(binary.LittleEndian.Uint64(h[72:]))
	n := int64(binary.LittleEndian.Uint32(h[80:]))
	size := int64(binary.LittleEndian.Uint32(h[84:]))
	if n > 1024 || size < 128 || size > 4096 {
		return nil, fmt.Errorf("%w: implausible GPT (%d entries of %d bytes)", ErrNoArea, n, size)
	}
	tab := make([]byte, n*size)
	if _, err := dev.ReadAt(tab, lba*512); err != nil {
		return nil, fmt.Errorf("reading the GPT entries: %w", err)
	}
	var out []int64
	for i := range n {
		e := tab[i*size:]
		if first := binary.LittleEndian.Uint64(e[32:]); first != 0 {
			out = append(out, int64(first)*512)
		}
	}
	return out, nil
}
