package chunker

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"ingot.dev/ingot/image/manifest"
)

type memSink struct {
	mu     sync.Mutex
	chunks map[manifest.Hash][]byte
	fail   error
}

func (m *memSink) Has(_ context.Context, h manifest.Hash) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.chunks[h]
	return ok, nil
}

func (m *memSink) Put(_ context.Context, h manifest.Hash, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.chunks[h] = bytes.Clone(b)
	return nil
}

type counts struct{ Size, Stored, Zero, New, Deduped int64 }

func TestChunk(t *testing.T) {
	const cs = 4096
	distinct := func(i int) []byte { return bytes.Repeat([]byte{byte(i + 1)}, cs) }
	tests := []struct {
		name string
		data []byte
		want counts
	}{
		{"empty", nil, counts{}},
		{"all zero", make([]byte, 10*cs), counts{Size: 10 * cs, Zero: 10}},
		{"short last chunk", append(distinct(0), 'x'), counts{Size: cs + 1, Stored: 2, New: 2}},
		{"repeated chunk stored once", bytes.Join([][]byte{distinct(0), make([]byte, cs), distinct(0), distinct(1)}, nil),
			counts{Size: 4 * cs, Stored: 3, Zero: 1, New: 2, Deduped: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &memSink{chunks: map[manifest.Hash][]byte{}}
			res, err := Chunk(context.Background(), bytes.NewReader(tt.data), sink, Options{ChunkSize: cs, Concurrency: 1})
			if err != nil {
				t.Fatal(err)
			}
			got := counts{res.Size, int64(len(res.Chunks)), res.ZeroChunks, res.NewChunks, res.DedupedChunks}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if rebuilt := rebuild(t, sink, res, cs); !bytes.Equal(rebuilt, tt.data) && len(tt.data) > 0 {
				t.Error("chunks do not rebuild the input")
			}
		})
	}
}

func rebuild(t *testing.T, sink *memSink, res *Result, cs int64) []byte {
	t.Helper()
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	out := make([]byte, res.Size)
	for _, c := range res.Chunks {
		frame := sink.chunks[c.Hash]
		if int64(len(frame)) != c.CompressedSize {
			t.Errorf("chunk %d: compressed size %d, table says %d", c.Index, len(frame), c.CompressedSize)
		}
		raw, err := dec.DecodeAll(frame, nil)
		if err != nil || manifest.Sum(raw) != c.Hash {
			t.Fatalf("chunk %d does not decode to its hash: %v", c.Index, err)
		}
		copy(out[c.Index*cs:], raw)
	}
	return out
}

func TestChunkParallelMatchesSerial(t *testing.T) {
	data := make([]byte, 64*4096)
	for i := range data {
		data[i] = byte(i * 7 / 4096)
	}
	var tables [2][]manifest.Chunk
	for i, n := range []int{1, 8} {
		res, err := Chunk(context.Background(), bytes.NewReader(data), &memSink{chunks: map[manifest.Hash][]byte{}}, Options{ChunkSize: 4096, Concurrency: n})
		if err != nil {
			t.Fatal(err)
		}
		tables[i] = res.Chunks
	}
	if diff := cmp.Diff(tables[0], tables[1]); diff != "" {
		t.Errorf("parallel table differs (-serial +parallel):\n%s", diff)
	}
}

func TestChunkSinkError(t *testing.T) {
	boom := errors.New("disk full")
	_, err := Chunk(context.Background(), bytes.NewReader(bytes.Repeat([]byte{1}, 1<<20)), &memSink{chunks: map[manifest.Hash][]byte{}, fail: boom}, Options{ChunkSize: 4096})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}
