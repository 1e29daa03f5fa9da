// Package stream writes a chunked image payload onto a disk or file: it
// fetches chunks in parallel from a Source, verifies each chunk's sha256
// before it touches the target, decompresses, writes at offset, keeps zero
// chunks zero without writing them, skips chunks the target already holds
// (delta mode), and retries what failed so that only unwritten chunks are
// fetched again.
package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"ingot.dev/ingot/image/manifest"
)

// Source is where chunks and signed manifests come from.
type Source interface {
	// Manifest returns the signed manifest of image id ("sha256:<hex>").
	Manifest(ctx context.Context, id string) ([]byte, error)
	// Chunk opens the compressed frame of chunk h.
	Chunk(ctx context.Context, h manifest.Hash) (io.ReadCloser, error)
}

// ErrNotFound is returned by a Source for a chunk or manifest it does not have.
var ErrNotFound = errors.New("not found")

// ErrCorrupt marks a chunk whose bytes do not match the manifest.
var ErrCorrupt = errors.New("chunk content does not match the manifest")

// ChunkError names the chunk and the target offset a write failed at.
type ChunkError struct {
	Hash   manifest.Hash
	Offset int64
	Err    error
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("chunk %s at target offset %d: %v", e.Hash, e.Offset, e.Err)
}

func (e *ChunkError) Unwrap() error { return e.Err }

// permanentError marks a Source error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

// Options tune a write. The zero value is valid.
type Options struct {
	Concurrency      int           // chunks in flight; default 8
	Delta            bool          // read the target and skip chunks it already holds
	Verify           bool          // read every written chunk back and check it
	Retries          int           // attempts after the first, per chunk; default 6
	Backoff          time.Duration // first retry delay, doubled up to 5s; default 100ms
	Progress         func(Progress)
	ProgressInterval time.Duration // default 250ms
	Logger           *slog.Logger  // default discards
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Retries == 0 {
		o.Retries = 6
	}
	if o.Backoff <= 0 {
		o.Backoff = 100 * time.Millisecond
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 250 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Result counts what a write did.
type Result struct {
	ChunksFetched int64 // chunks fetched and verified
	BytesFetched  int64 // compressed bytes received, failed attempts included
	FetchAttempts int64 // chunk requests made
	ChunksWritten int64
	BytesWritten  int64 // uncompressed bytes written
	DeltaSkipped  int64 // chunks the target already held (delta mode)
	ZeroChunks    int64 // zero chunks left or made zero without fetching
	Direct        bool  // whether O_DIRECT was used
}

// Progress is reported periodically during a write and once at its end.
type Progress struct {
	Bytes, TotalBytes   int64 // logical bytes done (written, skipped or zero)
	Chunks, TotalChunks int64
	Fetched             int64 // compressed bytes received
	Elapsed             time.Duration
	Rate                float64 // logical bytes per second
	ETA                 time.Duration
}
