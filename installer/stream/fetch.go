package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/klauspost/compress/zstd"

	"ingot.dev/ingot/image/manifest"
)

// worker owns two buffers of about one chunk each: frame holds a
// compressed frame (and read-back data), raw the decompressed chunk.
type worker struct {
	src   Source
	p     manifest.Payload
	t     io.WriterAt
	ra    io.ReaderAt
	opts  *Options
	c     *counters
	dec   *zstd.Decoder
	frame []byte
	raw   []byte
}

func newWorker(src Source, p manifest.Payload, t io.WriterAt, ra io.ReaderAt, opts *Options, c *counters) *worker {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(p.ChunkSize)+(1<<20)))
	if err != nil {
		panic(err) // only invalid options fail
	}
	return &worker{
		src: src, p: p, t: t, ra: ra, opts: opts, c: c, dec: dec,
		frame: alignedBuffer(int(manifest.CompressBound(p.ChunkSize))),
		raw:   alignedBuffer(int(p.ChunkSize)),
	}
}

func (w *worker) close() { w.dec.Close() }

// fetch returns chunk c's verified, decompressed n bytes, retrying with
// backoff on any error but a permanent one.
func (w *worker) fetch(ctx context.Context, c manifest.Chunk, n int64) ([]byte, error) {
	var last error
	for attempt := 0; attempt <= w.opts.Retries; attempt++ {
		if attempt > 0 {
			w.opts.Logger.Warn("retrying chunk", "chunk", c.Hash.String(), "attempt", attempt, "err", last)
			if err := sleep(ctx, backoff(w.opts.Backoff, attempt)); err != nil {
				return nil, err
			}
		}
		data, err := w.fetchOnce(ctx, c, n)
		if err == nil {
			w.c.fetched.Add(1)
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var perm permanentError
		if errors.Is(err, ErrNotFound) || errors.As(err, &perm) {
			return nil, err
		}
		last = err
	}
	return nil, fmt.Errorf("giving up after %d attempts: %w", w.opts.Retries+1, last)
}

func (w *worker) fetchOnce(ctx context.Context, c manifest.Chunk, n int64) ([]byte, error) {
	w.c.attempts.Add(1)
	rc, err := w.src.Chunk(ctx, c.Hash)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	frame := w.frame[:c.CompressedSize]
	got, err := io.ReadFull(rc, frame)
	w.c.fetchedBytes.Add(int64(got))
	if err != nil {
		return nil, fmt.Errorf("reading frame (%d of %d bytes): %w", got, c.CompressedSize, err)
	}
	var extra [1]byte
	if k, _ := rc.Read(extra[:]); k > 0 {
		return nil, fmt.Errorf("frame longer than the manifest's %d bytes: %w", c.CompressedSize, ErrCorrupt)
	}
	raw, err := w.dec.DecodeAll(frame, w.raw[:0])
	if err != nil {
		return nil, fmt.Errorf("decompressing: %v: %w", err, ErrCorrupt)
	}
	if int64(len(raw)) != n {
		return nil, fmt.Errorf("frame holds %d bytes, want %d: %w", len(raw), n, ErrCorrupt)
	}
	if h := manifest.Sum(raw); h != c.Hash {
		return nil, fmt.Errorf("content hashes to %s: %w", h, ErrCorrupt)
	}
	return raw, nil
}

func backoff(base time.Duration, attempt int) time.Duration {
	d := min(base<<(attempt-1), 5*time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var zeros = make([]byte, 64<<10)

func isZero(b []byte) bool {
	for len(b) > 0 {
		k := min(len(b), len(zeros))
		if !bytes.Equal(b[:k], zeros[:k]) {
			return false
		}
		b = b[k:]
	}
	return true
}

// alignedBuffer returns n bytes starting at a 4096-byte boundary, for O_DIRECT.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+4096)
	off := 0
	if r := int(uintptrOf(b) % 4096); r != 0 {
		off = 4096 - r
	}
	return b[off : off+n : off+n]
}
