package chunkstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"ingot.dev/ingot/image/manifest"
)

// ErrNoManifest is returned for an image ID without a stored manifest.
var ErrNoManifest = errors.New("manifest not found")

// Manifests keeps signed manifests in a directory, image sha256:<hex> in file <hex>.
type Manifests struct {
	dir string
}

// NewManifests opens (creating if needed) a manifest directory.
func NewManifests(dir string) (*Manifests, error) {
	if err := os.MkdirAll(filepath.Join(dir, ".tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("opening manifest directory: %w", err)
	}
	return &Manifests{dir: dir}, nil
}

func (m *Manifests) path(id string) (string, error) {
	hex, ok := strings.CutPrefix(id, "sha256:")
	if _, err := manifest.ParseHash(hex); !ok || err != nil {
		return "", fmt.Errorf("image id %q: want sha256:<64 hex digits>", id)
	}
	return filepath.Join(m.dir, hex), nil
}

// Put stores a signed manifest under its digest and returns that digest.
func (m *Manifests) Put(signed []byte) (string, error) {
	id := manifest.Digest(signed)
	p, _ := m.path(id)
	if err := writeAtomic(filepath.Join(m.dir, ".tmp"), p, signed); err != nil {
		return "", fmt.Errorf("storing manifest %s: %w", id, err)
	}
	return id, nil
}

// Get returns the signed manifest of image id.
func (m *Manifests) Get(id string) ([]byte, error) {
	p, err := m.path(id)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("image %s: %w", id, ErrNoManifest)
	}
	return data, err
}

// IDs lists the stored image IDs.
func (m *Manifests) IDs() ([]string, error) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return nil, fmt.Errorf("listing manifests: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if _, err := manifest.ParseHash(e.Name()); err == nil {
			ids = append(ids, "sha256:"+e.Name())
		}
	}
	return ids, nil
}

// Delete removes the manifest of image id; a missing one is not an error.
func (m *Manifests) Delete(id string) error {
	p, err := m.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting manifest %s: %w", id, err)
	}
	return nil
}
