package chunkstore

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"ingot.dev/ingot/image/manifest"
)

// ErrMissingChunks is returned by Finalize when the store lacks chunks the manifest lists.
var ErrMissingChunks = errors.New("image references chunks the store does not hold")

// Service finalizes imported images: it checks their chunks, signs their
// manifests with the server key, stores them and records their references.
type Service struct {
	Store     Store
	Manifests *Manifests
	Key       ed25519.PrivateKey
}

// Finalize checks that every chunk of m is stored with the compressed size
// the manifest claims, signs m, stores the signed manifest and references
// its chunks. It returns the signed bytes and the image ID.
func (s *Service) Finalize(ctx context.Context, m manifest.Manifest) (signed []byte, id string, err error) {
	if err := m.Validate(); err != nil {
		return nil, "", fmt.Errorf("finalizing image: %w", err)
	}
	var missing int
	var first string
	for _, p := range m.Payloads {
		for _, c := range p.Chunks {
			size, err := s.Store.Stat(ctx, c.Hash)
			if errors.Is(err, ErrNotFound) || (err == nil && size != c.CompressedSize) {
				if missing++; first == "" {
					first = c.Hash.String()
				}
				continue
			}
			if err != nil {
				return nil, "", fmt.Errorf("finalizing image %q: %w", m.Name, err)
			}
		}
	}
	if missing > 0 {
		return nil, "", fmt.Errorf("finalizing image %q: %d chunks missing or of the wrong size, first %s: %w", m.Name, missing, first, ErrMissingChunks)
	}
	if signed, err = manifest.Sign(&m, s.Key); err != nil {
		return nil, "", err
	}
	if id, err = s.Manifests.Put(signed); err != nil {
		return nil, "", err
	}
	if err := s.Store.Ref(ctx, id, m.Hashes()); err != nil {
		return nil, "", fmt.Errorf("finalizing image %s: %w", id, err)
	}
	return signed, id, nil
}
