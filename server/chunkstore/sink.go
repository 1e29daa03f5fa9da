package chunkstore

import (
	"bytes"
	"context"

	"ingot.dev/ingot/image/manifest"
)

// Sink adapts a Store to image/chunker: what the chunker cuts is stored
// straight into the chunk store (local imports and server-side builds).
type Sink struct{ Store }

// Put stores one compressed chunk.
func (s Sink) Put(ctx context.Context, h manifest.Hash, b []byte) error {
	return s.Store.Put(ctx, h, bytes.NewReader(b))
}

// CompressedSize is the chunker's fast path for chunks already stored.
func (s Sink) CompressedSize(ctx context.Context, h manifest.Hash) (int64, error) {
	return s.Store.Stat(ctx, h)
}
