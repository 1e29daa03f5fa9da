package chunkstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"ingot.dev/ingot/image/manifest"
)

// Local is a Store in a directory: chunk <hex> lives at <root>/<hex[:2]>/<hex>,
// uploads are staged in <root>/tmp and reference sets live in <root>/refs.
type Local struct {
	root string
}

var _ Store = (*Local)(nil)

// NewLocal opens (creating if needed) a chunk store rooted at dir.
func NewLocal(dir string) (*Local, error) {
	for _, d := range []string{dir, filepath.Join(dir, "tmp"), filepath.Join(dir, "refs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("opening chunk store: %w", err)
		}
	}
	return &Local{root: dir}, nil
}

// Path returns where chunk h is (or would be) stored.
func (l *Local) Path(h manifest.Hash) string {
	s := h.String()
	return filepath.Join(l.root, s[:2], s)
}

// Has reports whether h is stored.
func (l *Local) Has(ctx context.Context, h manifest.Hash) (bool, error) {
	_, err := l.Stat(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Stat returns the compressed size of h.
func (l *Local) Stat(_ context.Context, h manifest.Hash) (int64, error) {
	fi, err := os.Stat(l.Path(h))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("chunk %s: %w", h, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("chunk %s: %w", h, err)
	}
	return fi.Size(), nil
}

// Get opens h; the result is an *os.File.
func (l *Local) Get(_ context.Context, h manifest.Hash) (io.ReadCloser, error) {
	f, err := os.Open(l.Path(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("chunk %s: %w", h, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", h, err)
	}
	return f, nil
}

// Put verifies and stores a compressed frame: temp file, fsync, rename, fsync of the directory.
func (l *Local) Put(ctx context.Context, h manifest.Hash, compressed io.Reader) error {
	frame, err := readVerified(compressed, h)
	if err != nil {
		return err
	}
	if ok, err := l.Has(ctx, h); err != nil || ok {
		return err
	}
	dst := l.Path(h)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("storing chunk %s: %w", h, err)
	}
	if err := writeAtomic(filepath.Join(l.root, "tmp"), dst, frame); err != nil {
		return fmt.Errorf("storing chunk %s: %w", h, err)
	}
	return nil
}

// Delete removes h.
func (l *Local) Delete(_ context.Context, h manifest.Hash) error {
	err := os.Remove(l.Path(h))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting chunk %s: %w", h, err)
	}
	return nil
}

// writeAtomic writes data to dst through a temp file in tmpDir, durably.
func writeAtomic(tmpDir, dst string, data []byte) error {
	f, err := os.CreateTemp(tmpDir, ".put-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
