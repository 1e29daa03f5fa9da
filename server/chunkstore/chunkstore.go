// Package chunkstore keeps the server's content-addressed image chunks:
// a Store interface with a local-directory implementation, the HTTP handler
// that serves chunks and signed manifests, and the service that finalizes
// (checks, signs and records) an imported image.
//
// Garbage collection uses reference sets: every finalized image records the
// set of chunks it uses with Ref(owner, hashes); Unref drops it. A chunk's
// reference count is the number of owners listing it, and GC deletes chunks
// with a count of zero that are older than a grace period, so chunks uploaded
// for an image that is not finalized yet survive.
package chunkstore

import (
	"context"
	"errors"
	"io"
	"time"

	"ingot.dev/ingot/image/manifest"
)

// Errors callers act on.
var (
	ErrNotFound     = errors.New("chunk not found")
	ErrHashMismatch = errors.New("chunk content does not match its sha256")
	ErrTooLarge     = errors.New("chunk too large")
)

// Store holds zstd-compressed chunks keyed by the sha256 of their uncompressed bytes.
type Store interface {
	// Has reports whether the chunk is stored.
	Has(ctx context.Context, h manifest.Hash) (bool, error)
	// Stat returns the compressed size of a stored chunk, or ErrNotFound.
	Stat(ctx context.Context, h manifest.Hash) (int64, error)
	// Get opens a stored chunk's compressed frame, or returns ErrNotFound.
	// The reader may implement io.ReadSeeker.
	Get(ctx context.Context, h manifest.Hash) (io.ReadCloser, error)
	// Put stores a compressed frame after checking that it decompresses to
	// bytes whose sha256 is h (ErrHashMismatch otherwise). Put is atomic and
	// durable: a chunk is visible complete or not at all.
	Put(ctx context.Context, h manifest.Hash, compressed io.Reader) error
	// Delete removes a chunk; deleting a missing chunk is not an error.
	Delete(ctx context.Context, h manifest.Hash) error
	// Ref records that owner (an image ID) uses hashes, replacing any earlier set.
	Ref(ctx context.Context, owner string, hashes []manifest.Hash) error
	// Unref drops owner's reference set.
	Unref(ctx context.Context, owner string) error
	// GC deletes unreferenced chunks last written more than grace ago.
	GC(ctx context.Context, grace time.Duration) (GCResult, error)
}

// GCResult counts what a GC pass did.
type GCResult struct {
	Deleted    int
	Kept       int
	FreedBytes int64
}
