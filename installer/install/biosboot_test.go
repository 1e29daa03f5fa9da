package install

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/grubpc"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/stream"
)

// chunkMap is an in-memory chunk store: the chunker's sink (one worker)
// and the installer's source.
type chunkMap map[manifest.Hash][]byte

func (c chunkMap) Has(_ context.Context, h manifest.Hash) (bool, error) {
	_, ok := c[h]
	return ok, nil
}
func (c chunkMap) Put(_ context.Context, h manifest.Hash, b []byte) error {
	c[h] = bytes.Clone(b)
	return nil
}
func (c chunkMap) Manifest(context.Context, string) ([]byte, error) { return nil, stream.ErrNotFound }
func (c chunkMap) Chunk(_ context.Context, h manifest.Hash) (io.ReadCloser, error) {
	b, ok := c[h]
	if !ok {
		return nil, stream.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// bootImage is an image whose 6 MiB disk payload (1 MiB chunks) carries
// GRUB-shaped boot code in a BIOS boot partition at sector 2048, as the
// image builder lays it out.
func bootImage(t *testing.T, firmware string) (*manifest.Manifest, chunkMap, grubpc.Code) {
	t.Helper()
	raw := make([]byte, 6<<20)
	boot := bytes.Repeat([]byte{0xb0}, grubpc.Sector)
	boot[510], boot[511] = 0x55, 0xaa
	code := grubpc.Code{Boot: boot, Core: bytes.Repeat([]byte("core.img"), 2000)}
	if err := code.Install(bytesAt(raw), 2048, 6144); err != nil {
		t.Fatal(err)
	}
	copy(raw[5<<20:], "the ESP")
	store := chunkMap{}
	res, err := chunker.Chunk(context.Background(), bytes.NewReader(raw), store, chunker.Options{ChunkSize: 1 << 20, Level: 1, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{Version: manifest.Version, Name: "boot-test", Arch: "amd64", Firmware: firmware,
		Payloads: []manifest.Payload{{Role: "disk", Kind: manifest.KindRawDisk, Size: res.Size, ChunkSize: 1 << 20, Chunks: res.Chunks}}}
	return m, store, code
}

type bytesAt []byte

func (b bytesAt) WriteAt(p []byte, off int64) (int, error) { return copy(b[off:], p), nil }

// biosPlan is mirror+cis planned on a BIOS machine whose two disks are
// sparse files in dir.
func biosPlan(t *testing.T, dir string) layout.StoragePlan {
	t.Helper()
	var disks []plan.Disk
	for _, name := range []string{"vda", "vdb"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, 32<<30); err != nil {
			t.Fatal(err)
		}
		disks = append(disks, plan.Disk{Name: name, Path: p, SizeBytes: 32 << 30})
	}
	l, err := layout.Preset("mirror+cis", nil)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := layout.Plan(l, plan.Inventory{Firmware: api.FirmwareBIOS, Disks: disks})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestBIOSBootCode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sp := biosPlan(t, dir)
	m, store, want := bootImage(t, "both")
	b, err := planBIOSBoot(ctx, store, m, sp)
	if err != nil {
		t.Fatal(err)
	}
	done, err := b.write()
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 {
		t.Fatalf("boot code written to %v, want both disks", done)
	}
	for _, d := range sp.Disks {
		f, err := os.Open(d.Disk.Path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := grubpc.Read(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", d.Disk.Name, err)
		}
		if part := d.Partitions[0]; part.Type != layout.BIOSBoot || part.Start != 1<<20 {
			t.Fatalf("%s: partition 1 is %s at %d, want the bios-boot partition at 1 MiB", d.Disk.Name, part.Type, part.Start)
		}
		// boot.img compares up to where core.img's sector is patched in.
		if !bytes.Equal(got.Core[grubpc.Sector:len(want.Core)], want.Core[grubpc.Sector:]) || !bytes.Equal(got.Boot[:0x5c], want.Boot[:0x5c]) {
			t.Errorf("%s: the boot code read back is not the image's", d.Disk.Name)
		}
	}
}

func TestBIOSBootCodeNone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sp := biosPlan(t, dir)
	m, store, _ := bootImage(t, "uefi")
	b, err := planBIOSBoot(ctx, store, m, sp)
	if err != nil || b != nil {
		t.Errorf("a UEFI image: boot code %v (%v), want none", b, err)
	}
	if done, err := b.write(); err != nil || len(done) != 0 {
		t.Errorf("a UEFI image: boot code written to %v (%v), want none", done, err)
	}

	m, store, _ = bootImage(t, "bios")
	store[m.Payloads[0].Chunks[0].Hash] = store[m.Payloads[0].Chunks[1].Hash] // chunk 0 swapped
	// A changed chunk is refused while planning, before any disk is touched.
	_, err = planBIOSBoot(ctx, store, m, sp)
	if err == nil || !strings.Contains(err.Error(), "fetching the BIOS boot code of image boot-test") {
		t.Fatalf("a changed chunk: err = %v", err)
	}
	for _, d := range sp.Disks {
		b := make([]byte, 2<<20)
		f, _ := os.Open(d.Disk.Path)
		f.ReadAt(b, 0)
		f.Close()
		if !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("%s was written though the boot code did not verify", d.Disk.Name)
		}
	}
}

func TestHead(t *testing.T) {
	p := manifest.Payload{Role: "disk", Kind: manifest.KindRawDisk, Size: 10<<20 + 5, ChunkSize: 4 << 20, Chunks: []manifest.Chunk{{Index: 0, CompressedSize: 9}, {Index: 2, CompressedSize: 9}}}
	for n, want := range map[int64]int64{1: 4 << 20, 4 << 20: 4 << 20, 4<<20 + 1: 8 << 20, 64 << 20: 10<<20 + 5} {
		h := head(p, n)
		if h.Size != want {
			t.Errorf("head(%d).Size = %d, want %d", n, h.Size, want)
		}
		if err := h.Validate(); err != nil {
			t.Errorf("head(%d): %v", n, err)
		}
	}
	if h := head(p, 1); len(h.Chunks) != 1 || len(p.Chunks) != 2 {
		t.Errorf("head(1) has chunks %v (the payload's: %v)", h.Chunks, p.Chunks)
	}
}
