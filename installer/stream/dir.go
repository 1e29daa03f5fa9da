package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"ingot.dev/ingot/image/manifest"
)

// Dir is a Source reading a local image directory: chunk <hex> at
// chunks/<hex[:2]>/<hex> and signed manifest sha256:<hex> at manifests/<hex>.
type Dir string

var _ Source = Dir("")

// Manifest reads the signed manifest of image id.
func (d Dir) Manifest(_ context.Context, id string) ([]byte, error) {
	hex, ok := strings.CutPrefix(id, "sha256:")
	if _, err := manifest.ParseHash(hex); !ok || err != nil {
		return nil, Permanent(fmt.Errorf("image id %q: want sha256:<64 hex>", id))
	}
	data, err := os.ReadFile(filepath.Join(string(d), "manifests", hex))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("image %s in %s: %w", id, d, ErrNotFound)
	}
	return data, err
}

// Chunk opens chunk h.
func (d Dir) Chunk(_ context.Context, h manifest.Hash) (io.ReadCloser, error) {
	s := h.String()
	f, err := os.Open(filepath.Join(string(d), "chunks", s[:2], s))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("chunk %s in %s: %w", s, d, ErrNotFound)
	}
	return f, err
}
