package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/image/manifest"
)

// Zeroer is implemented by targets that can make a range read back as zero
// without writing zeros (punching a hole, BLKZEROOUT). Targets without it get
// explicit zeros.
type Zeroer interface {
	ZeroRange(off, n int64) error
}

// HoleFinder is implemented by targets that know a range is a hole, so that
// delta mode need not read it.
type HoleFinder interface {
	IsHole(off, n int64) bool
}

// slot is one chunk position of the payload; chunk is nil for a zero chunk.
type slot struct {
	index int64
	chunk *manifest.Chunk
}

// WritePayload writes payload p onto t. Delta and Verify need t to be an
// io.ReaderAt too. On error the Result still counts what was done.
func WritePayload(ctx context.Context, src Source, p manifest.Payload, t io.WriterAt, opts Options) (Result, error) {
	opts.defaults()
	if err := p.Validate(); err != nil {
		return Result{}, fmt.Errorf("writing payload: %w", err)
	}
	ra, _ := t.(io.ReaderAt)
	if (opts.Delta || opts.Verify) && ra == nil {
		return Result{}, errors.New("writing payload: delta and verify need a readable target")
	}
	var c counters
	start := time.Now()
	if opts.Progress != nil {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			c.report(opts.Progress, opts.ProgressInterval, start, p.Size, p.NumChunks(), stop)
			close(done)
		}()
		defer func() { close(stop); <-done }()
	}
	g, gctx := errgroup.WithContext(ctx)
	slots := make(chan slot)
	g.Go(func() error { return feed(gctx, p, slots) })
	for range opts.Concurrency {
		w := newWorker(src, p, t, ra, &opts, &c)
		g.Go(func() error { return w.run(gctx, slots) })
	}
	err := g.Wait()
	res := c.result()
	if d, ok := t.(interface{ Direct() bool }); ok {
		res.Direct = d.Direct()
	}
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return res, fmt.Errorf("writing payload %s: %w", p.Role, err)
	}
	return res, nil
}

func feed(ctx context.Context, p manifest.Payload, slots chan<- slot) error {
	defer close(slots)
	next := 0
	for i := range p.NumChunks() {
		s := slot{index: i}
		if next < len(p.Chunks) && p.Chunks[next].Index == i {
			s.chunk = &p.Chunks[next]
			next++
		}
		select {
		case slots <- s:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (w *worker) run(ctx context.Context, slots <-chan slot) error {
	defer w.close()
	for s := range slots {
		off := s.index * w.p.ChunkSize
		n := min(w.p.ChunkSize, w.p.Size-off)
		if err := w.slot(ctx, s, off, n); err != nil {
			if s.chunk != nil {
				return &ChunkError{Hash: s.chunk.Hash, Offset: off, Err: err}
			}
			return fmt.Errorf("zero chunk at target offset %d: %w", off, err)
		}
		w.c.doneBytes.Add(n)
		w.c.doneChunks.Add(1)
	}
	return nil
}

func (w *worker) slot(ctx context.Context, s slot, off, n int64) error {
	if w.opts.Delta {
		same, err := w.holds(s, off, n)
		if err != nil || same {
			return err
		}
	}
	if s.chunk == nil {
		w.c.zero.Add(1)
		return w.zero(off, n)
	}
	data, err := w.fetch(ctx, *s.chunk, n)
	if err != nil {
		return err
	}
	if _, err := w.t.WriteAt(data, off); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	w.c.written.Add(1)
	w.c.writtenBytes.Add(n)
	if w.opts.Verify {
		return w.verify(s.chunk.Hash, off, n)
	}
	return nil
}

// holds reports whether the target already holds slot s (delta mode).
func (w *worker) holds(s slot, off, n int64) (bool, error) {
	if s.chunk == nil {
		if hf, ok := w.t.(HoleFinder); ok && hf.IsHole(off, n) {
			w.c.delta.Add(1)
			return true, nil
		}
	}
	buf := w.raw[:n]
	if _, err := w.ra.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading target for delta: %w", err)
	}
	same := isZero(buf)
	if s.chunk != nil {
		same = manifest.Sum(buf) == s.chunk.Hash
	}
	if same {
		w.c.delta.Add(1)
	}
	return same, nil
}

func (w *worker) zero(off, n int64) error {
	if z, ok := w.t.(Zeroer); ok {
		if err := z.ZeroRange(off, n); err == nil {
			return nil
		}
	}
	buf := w.raw[:n]
	clear(buf)
	if _, err := w.t.WriteAt(buf, off); err != nil {
		return fmt.Errorf("writing zeros: %w", err)
	}
	return nil
}

func (w *worker) verify(h manifest.Hash, off, n int64) error {
	buf := w.frame[:n]
	if _, err := w.ra.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading back: %w", err)
	}
	if got := manifest.Sum(buf); got != h {
		return fmt.Errorf("read back %s after writing: %w", got, ErrCorrupt)
	}
	return nil
}
