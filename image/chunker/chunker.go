// Package chunker cuts a payload's bytes into fixed-size aligned chunks,
// skips all-zero chunks, and hashes and zstd-compresses the others in
// parallel, handing each to a Sink and returning the payload's chunk table.
package chunker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/image/manifest"
)

// Sink receives compressed chunks. Put must not retain compressed after it returns.
type Sink interface {
	Has(ctx context.Context, h manifest.Hash) (bool, error)
	Put(ctx context.Context, h manifest.Hash, compressed []byte) error
}

// Sizer is an optional Sink fast path: a Sink that can tell the compressed
// size of a chunk it already holds saves compressing that chunk again.
type Sizer interface {
	CompressedSize(ctx context.Context, h manifest.Hash) (int64, error)
}

// Options tune Chunk. The zero value is valid.
type Options struct {
	ChunkSize   int64 // default manifest.DefaultChunkSize
	Level       int   // zstd level 1..22, default 3
	Concurrency int   // workers, default GOMAXPROCS
}

func (o *Options) defaults() {
	if o.ChunkSize == 0 {
		o.ChunkSize = manifest.DefaultChunkSize
	}
	if o.Level == 0 {
		o.Level = 3
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
}

// Validate reports options Chunk cannot use.
func (o Options) Validate() error {
	if o.ChunkSize < 4096 || o.ChunkSize%4096 != 0 || o.ChunkSize > manifest.MaxChunkSize {
		return fmt.Errorf("chunk size %d: want a multiple of 4096 up to %d", o.ChunkSize, manifest.MaxChunkSize)
	}
	if o.Level < 1 || o.Level > 22 {
		return fmt.Errorf("zstd level %d: want 1 to 22", o.Level)
	}
	return nil
}

// Result is what Chunk learned about a payload.
type Result struct {
	Size            int64            // logical bytes read
	Chunks          []manifest.Chunk // stored chunks, by index; zero chunks omitted
	ZeroChunks      int64            // chunks skipped because all zero
	NewChunks       int64            // chunks handed to Put
	DedupedChunks   int64            // chunks the sink already had
	CompressedBytes int64            // sum of compressed sizes in Chunks
}

type job struct {
	index int64
	buf   []byte
}

// Chunk reads r to its end and returns its chunk table. Memory use is about
// 3 × Concurrency chunks.
func Chunk(ctx context.Context, r io.Reader, sink Sink, opts Options) (*Result, error) {
	opts.defaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	free := make(chan []byte, 2*opts.Concurrency)
	for range cap(free) {
		free <- make([]byte, opts.ChunkSize)
	}
	res := &Result{}
	var mu sync.Mutex
	g.Go(func() error { return read(ctx, r, opts.ChunkSize, free, jobs, res) })
	for range opts.Concurrency {
		w, err := newWorker(sink, opts.Level)
		if err != nil {
			return nil, err
		}
		g.Go(func() error { return w.run(ctx, jobs, free, res, &mu) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortFunc(res.Chunks, func(a, b manifest.Chunk) int { return int(a.Index - b.Index) })
	for _, c := range res.Chunks {
		res.CompressedBytes += c.CompressedSize
	}
	return res, nil
}

func read(ctx context.Context, r io.Reader, size int64, free chan []byte, jobs chan<- job, res *Result) error {
	defer close(jobs)
	for index := int64(0); ; index++ {
		var buf []byte
		select {
		case buf = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		n, err := io.ReadFull(r, buf[:size])
		res.Size += int64(n) // only this goroutine writes Size before Wait
		if n > 0 {
			select {
			case jobs <- job{index, buf[:n]}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading chunk %d: %w", index, err)
		}
	}
}

type worker struct {
	sink Sink
	enc  *zstd.Encoder
	out  []byte
}

func newWorker(sink Sink, level int) (*worker, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("creating zstd encoder: %w", err)
	}
	return &worker{sink: sink, enc: enc}, nil
}

func (w *worker) run(ctx context.Context, jobs <-chan job, free chan<- []byte, res *Result, mu *sync.Mutex) error {
	defer w.enc.Close()
	for j := range jobs {
		c, kind, err := w.chunk(ctx, j)
		free <- j.buf[:cap(j.buf)]
		if err != nil {
			return fmt.Errorf("chunk %d: %w", j.index, err)
		}
		mu.Lock()
		switch kind {
		case zero:
			res.ZeroChunks++
		case deduped:
			res.DedupedChunks++
		case stored:
			res.NewChunks++
		}
		if kind != zero {
			res.Chunks = append(res.Chunks, c)
		}
		mu.Unlock()
	}
	return nil
}

type outcome int

const (
	zero outcome = iota
	deduped
	stored
)

func (w *worker) chunk(ctx context.Context, j job) (manifest.Chunk, outcome, error) {
	if IsZero(j.buf) {
		return manifest.Chunk{}, zero, nil
	}
	c := manifest.Chunk{Index: j.index, Hash: manifest.Sum(j.buf)}
	has, err := w.sink.Has(ctx, c.Hash)
	if err != nil {
		return c, 0, err
	}
	if s, ok := w.sink.(Sizer); ok && has {
		c.CompressedSize, err = s.CompressedSize(ctx, c.Hash)
		return c, deduped, err
	}
	w.out = w.enc.EncodeAll(j.buf, w.out[:0])
	c.CompressedSize = int64(len(w.out))
	if has {
		return c, deduped, nil
	}
	return c, stored, w.sink.Put(ctx, c.Hash, w.out)
}

var zeros = make([]byte, 64<<10)

// IsZero reports whether b holds only zero bytes.
func IsZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeros))
		if !bytes.Equal(b[:n], zeros[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
