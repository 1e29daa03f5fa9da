package stream

import (
	"context"
	"fmt"
	"io"

	"ingot.dev/ingot/image/manifest"
)

// CopyPayload writes payload p to w in order, zero chunks as zeros, every
// other chunk fetched (with retries) and verified first. It is the export
// path for people who want a plain raw stream.
func CopyPayload(ctx context.Context, src Source, p manifest.Payload, w io.Writer, opts Options) (Result, error) {
	opts.defaults()
	if err := p.Validate(); err != nil {
		return Result{}, fmt.Errorf("copying payload: %w", err)
	}
	var c counters
	wk := newWorker(src, p, nil, nil, &opts, &c)
	defer wk.close()
	next := 0
	for i := range p.NumChunks() {
		off := i * p.ChunkSize
		n := min(p.ChunkSize, p.Size-off)
		var data []byte
		if next < len(p.Chunks) && p.Chunks[next].Index == i {
			ch := p.Chunks[next]
			next++
			var err error
			if data, err = wk.fetch(ctx, ch, n); err != nil {
				return c.result(), &ChunkError{Hash: ch.Hash, Offset: off, Err: err}
			}
		} else {
			data = wk.raw[:n]
			clear(data)
			c.zero.Add(1)
		}
		if _, err := w.Write(data); err != nil {
			return c.result(), fmt.Errorf("copying payload at offset %d: %w", off, err)
		}
		c.written.Add(1)
		c.writtenBytes.Add(n)
	}
	return c.result(), nil
}
