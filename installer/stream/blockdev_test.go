package stream

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/internal/testenv"
)

// loopDevice attaches a file of size bytes full of 0xAA to a loop device.
// It skips only where the machine cannot: not root, or no loop support.
func loopDevice(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Skip(t, "root tier: needs root for loop devices (run as root; CI does)")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		testenv.Skip(t, "root tier: this kernel has no loop devices (/dev/loop-control missing)")
	}
	backing := filepath.Join(t.TempDir(), "backing.img")
	if err := os.WriteFile(backing, bytes.Repeat([]byte{0xAA}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", backing).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup: %v: %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("losetup", "-d", dev).Run() })
	return dev
}

// TestWriteToBlockDevice writes an image over old data on a real block
// device: data chunks land verified, zero chunks read back as zero, and a
// delta rewrite fetches nothing.
func TestWriteToBlockDevice(t *testing.T) {
	data := shapeA(16<<20, 1<<20, 9)
	dev := loopDevice(t, len(data))
	img := buildImage(t, data, 1<<20)
	ctx := context.Background()
	res, err := WriteImage(ctx, Dir(img.dir), img.id, img.pub, "", dev, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:len(data)], data) {
		t.Fatal("block device differs from the image (old bytes survived under zero chunks?)")
	}
	if res.ZeroChunks == 0 || res.ChunksWritten == 0 {
		t.Errorf("result %+v: want zero chunks and written chunks", res)
	}
	opts := fastOpts()
	opts.Delta = true
	res, err = WriteImage(ctx, Dir(img.dir), img.id, img.pub, "", dev, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ChunksFetched != 0 {
		t.Errorf("delta rewrite on an identical device fetched %d chunks, want 0", res.ChunksFetched)
	}
}
