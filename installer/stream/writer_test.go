package stream

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		chunkSize int64
		opts      Options
	}{
		{"image A shape", shapeA(40<<20, 4<<20, 1), 4 << 20, fastOpts()},
		{"image B shape", shapeB(16<<20, 2), 4 << 20, fastOpts()},
		{"odd size small chunks verify", shapeA(3<<20+1234, 64<<10, 3), 64 << 10, Options{Concurrency: 3, Verify: true}},
		{"delta onto nothing", shapeA(2<<20+7, 64<<10, 4), 64 << 10, Options{Delta: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := buildImage(t, tt.data, tt.chunkSize)
			target := filepath.Join(t.TempDir(), "disk.img")
			res, err := WriteImage(context.Background(), Dir(img.dir), img.id, img.pub, "", target, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, target); !bytes.Equal(got, tt.data) {
				t.Fatalf("target differs from the image (%d vs %d bytes)", len(got), len(tt.data))
			}
			p := img.m.Payloads[0]
			want := Result{ChunksFetched: int64(len(p.Chunks)), BytesFetched: p.StoredBytes(), FetchAttempts: int64(len(p.Chunks)),
				ChunksWritten: int64(len(p.Chunks)), BytesWritten: res.BytesWritten, ZeroChunks: p.NumChunks() - int64(len(p.Chunks)), Direct: res.Direct}
			if tt.opts.Delta {
				want.DeltaSkipped, want.ZeroChunks = want.ZeroChunks, 0
			}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteLeavesHolesForZeroChunks(t *testing.T) {
	data := make([]byte, 32<<20)
	copy(data[8<<20:], shapeB(4<<20, 5))
	img := buildImage(t, data, 4<<20)
	target := filepath.Join(t.TempDir(), "disk.img")
	res, err := WriteImage(context.Background(), Dir(img.dir), img.id, img.pub, "", target, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(target, &st); err != nil {
		t.Fatal(err)
	}
	if used := st.Blocks * 512; used > 5<<20 {
		t.Errorf("target uses %d bytes on disk; want about 4 MiB (holes for zero chunks)", used)
	}
	if !res.Direct {
		t.Log("O_DIRECT not available on this filesystem")
	}
}

func TestZeroChunksOverOldData(t *testing.T) {
	data := shapeA(8<<20, 1<<20, 6)
	img := buildImage(t, data, 1<<20)
	target := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(target, bytes.Repeat([]byte{0xAA}, len(data)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteImage(context.Background(), Dir(img.dir), img.id, img.pub, "", target, fastOpts()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, target), data) {
		t.Fatal("old bytes survived where the image has zero chunks")
	}
}

func TestProgressAndCancel(t *testing.T) {
	data := shapeB(4<<20, 7)
	img := buildImage(t, data, 64<<10)
	var last Progress
	opts := fastOpts()
	opts.Progress = func(p Progress) { last = p }
	target := filepath.Join(t.TempDir(), "disk.img")
	if _, err := WriteImage(context.Background(), Dir(img.dir), img.id, img.pub, "", target, opts); err != nil {
		t.Fatal(err)
	}
	if last.Bytes != int64(len(data)) || last.Chunks != 64 || last.TotalChunks != 64 || last.ETA != 0 {
		t.Errorf("final progress = %+v; want all %d bytes and 64 chunks", last, len(data))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := WriteImage(ctx, Dir(img.dir), img.id, img.pub, "", filepath.Join(t.TempDir(), "x"), opts)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled write = %v, want context.Canceled", err)
	}
}

func TestCopyPayload(t *testing.T) {
	data := shapeA(3<<20+5, 64<<10, 14)
	img := buildImage(t, data, 64<<10)
	var out bytes.Buffer
	if _, err := CopyPayload(context.Background(), Dir(img.dir), img.m.Payloads[0], &out, fastOpts()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Error("copied stream differs from the image")
	}
}
