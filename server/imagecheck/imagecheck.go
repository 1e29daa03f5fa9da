// Package imagecheck verifies that a stored image is whole: its manifest
// carries a valid signature by the server's key and every chunk it lists is
// in the chunk store with the size the manifest records (and, deep, with
// content that hashes to the listed sha256).
package imagecheck

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
)

// Manifests returns an image's signed manifest.
type Manifests interface {
	Get(id string) ([]byte, error)
}

// Chunks is the part of the chunk store a check reads.
type Chunks interface {
	Stat(ctx context.Context, h manifest.Hash) (int64, error)
	Get(ctx context.Context, h manifest.Hash) (io.ReadCloser, error)
}

var _ Chunks = chunkstore.Store(nil)

// Error says why an image does not check. Callers tell it from store
// failures with errors.As.
type Error struct {
	Image  string
	Chunk  string // hex sha256 of the first bad chunk; empty for manifest problems
	Reason string
	Err    error
}

func (e *Error) Error() string {
	what := "image " + e.Image
	if e.Chunk != "" {
		what += ": chunk " + e.Chunk
	}
	return what + ": " + e.Reason + "; re-import the image (ingot image import) or point its image sets at another image"
}

func (e *Error) Unwrap() error { return e.Err }

// Checker checks images against one manifest store, chunk store and key.
type Checker struct {
	Manifests Manifests
	Chunks    Chunks
	Key       ed25519.PublicKey
	// Deep also reads every chunk and re-verifies its content hash.
	Deep bool
}

// Check is a shallow check of image id: signature, presence and sizes.
func Check(ctx context.Context, mans Manifests, chunks Chunks, pub ed25519.PublicKey, id string) error {
	return Checker{Manifests: mans, Chunks: chunks, Key: pub}.Check(ctx, id)
}

// Check verifies image id. It returns an *Error when the image is broken,
// and another error when the stores could not be read.
func (c Checker) Check(ctx context.Context, id string) error {
	signed, err := c.Manifests.Get(id)
	if errors.Is(err, chunkstore.ErrNoManifest) {
		return &Error{Image: id, Reason: "no manifest stored", Err: err}
	}
	if err != nil {
		return fmt.Errorf("checking image %s: %w", id, err)
	}
	if got := manifest.Digest(signed); got != id {
		return &Error{Image: id, Reason: "stored manifest has digest " + got}
	}
	m, err := manifest.Verify(signed, c.Key)
	if err != nil {
		return &Error{Image: id, Reason: "manifest does not verify against the server's signing key: " + err.Error(), Err: err}
	}
	for _, p := range m.Payloads {
		for _, ch := range p.Chunks {
			if err := c.chunk(ctx, ch); err != nil {
				var e *Error
				if errors.As(err, &e) {
					e.Image = id
					e.Reason = fmt.Sprintf("payload %s index %d: %s", p.Role, ch.Index, e.Reason)
				}
				return err
			}
		}
	}
	return nil
}

func (c Checker) chunk(ctx context.Context, ch manifest.Chunk) error {
	bad := func(reason string, err error) error {
		return &Error{Chunk: ch.Hash.String(), Reason: reason, Err: err}
	}
	size, err := c.Chunks.Stat(ctx, ch.Hash)
	switch {
	case errors.Is(err, chunkstore.ErrNotFound):
		return bad("missing from the chunk store", err)
	case err != nil:
		return fmt.Errorf("checking chunk %s: %w", ch.Hash, err)
	case size != ch.CompressedSize:
		return bad(fmt.Sprintf("stored with %d compressed bytes, manifest says %d", size, ch.CompressedSize), nil)
	case !c.Deep:
		return nil
	}
	return c.content(ctx, ch, bad)
}

func (c Checker) content(ctx context.Context, ch manifest.Chunk, bad func(string, error) error) error {
	rc, err := c.Chunks.Get(ctx, ch.Hash)
	if errors.Is(err, chunkstore.ErrNotFound) {
		return bad("missing from the chunk store", err)
	}
	if err != nil {
		return fmt.Errorf("checking chunk %s: %w", ch.Hash, err)
	}
	defer rc.Close()
	frame, err := io.ReadAll(io.LimitReader(rc, ch.CompressedSize+1))
	if err != nil {
		return fmt.Errorf("reading chunk %s: %w", ch.Hash, err)
	}
	if int64(len(frame)) != ch.CompressedSize {
		return bad(fmt.Sprintf("read %d compressed bytes, manifest says %d", len(frame), ch.CompressedSize), nil)
	}
	if err := chunkstore.Verify(frame, ch.Hash); err != nil {
		return bad("content does not match its sha256", err)
	}
	return nil
}
