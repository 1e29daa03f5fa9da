package stream

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
)

// dirSink stores chunks in an image directory's layout.
type dirSink string

func (d dirSink) path(h manifest.Hash) string {
	s := h.String()
	return filepath.Join(string(d), "chunks", s[:2], s)
}

func (d dirSink) Has(_ context.Context, h manifest.Hash) (bool, error) {
	_, err := os.Stat(d.path(h))
	return err == nil, nil
}

func (d dirSink) Put(_ context.Context, h manifest.Hash, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(d.path(h)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(d.path(h), b, 0o644)
}

type image struct {
	dir  string
	id   string
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	m    *manifest.Manifest
	data []byte
}

// buildImage chunks data into a fresh image directory and signs its manifest.
func buildImage(t *testing.T, data []byte, chunkSize int64) *image {
	t.Helper()
	dir := t.TempDir()
	res, err := chunker.Chunk(context.Background(), bytes.NewReader(data), dirSink(dir), chunker.Options{ChunkSize: chunkSize, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	m := &manifest.Manifest{
		Version: manifest.Version, Name: "test", Arch: "amd64", Firmware: "uefi",
		Created: time.Unix(1700000000, 0).UTC(),
		Payloads: []manifest.Payload{{
			Role: "disk", Kind: manifest.KindRawDisk, Size: res.Size, ChunkSize: chunkSize, Chunks: res.Chunks,
		}},
	}
	img := &image{dir: dir, pub: pub, priv: priv, m: m, data: data}
	img.id = writeSigned(t, dir, mustSign(t, m, priv))
	return img
}

func mustSign(t *testing.T, m *manifest.Manifest, priv ed25519.PrivateKey) []byte {
	t.Helper()
	signed, err := manifest.Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func writeSigned(t *testing.T, dir string, signed []byte) string {
	t.Helper()
	id := manifest.Digest(signed)
	if err := os.MkdirAll(filepath.Join(dir, "manifests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifests", id[len("sha256:"):]), signed, 0o644); err != nil {
		t.Fatal(err)
	}
	return id
}

// shapeA is about 30 % data (random and compressible text) and 70 % zero, by chunk.
func shapeA(size, chunk int, seed uint64) []byte {
	b := make([]byte, size)
	r := mrand.New(mrand.NewPCG(seed, 1))
	text, _ := os.ReadFile("/usr/share/common-licenses/GPL-3")
	for off := 0; off < size; off += chunk {
		end := min(off+chunk, size)
		switch r.IntN(10) {
		case 0, 1:
			fillRandom(r, b[off:end])
		case 2:
			for i := off; i < end; i += len(text) + 1 {
				copy(b[i:end], text)
			}
		}
	}
	return b
}

// shapeB is incompressible.
func shapeB(size int, seed uint64) []byte {
	b := make([]byte, size)
	fillRandom(mrand.New(mrand.NewPCG(seed, 2)), b)
	return b
}

func fillRandom(r *mrand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countingSource counts chunk opens per hash.
type countingSource struct {
	Source
	mu    sync.Mutex
	opens map[manifest.Hash]int
	total atomic.Int64
	hook  func(n int64)
}

func (c *countingSource) Chunk(ctx context.Context, h manifest.Hash) (io.ReadCloser, error) {
	c.mu.Lock()
	if c.opens == nil {
		c.opens = map[manifest.Hash]int{}
	}
	c.opens[h]++
	c.mu.Unlock()
	n := c.total.Add(1)
	if c.hook != nil {
		c.hook(n)
	}
	return c.Source.Chunk(ctx, h)
}

func fastOpts() Options {
	return Options{Concurrency: 4, Retries: 3, Backoff: time.Millisecond}
}
