package sitekit

import (
	"context"
	"crypto/ed25519"
	"io"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
)

// Images is the server's chunk store service as a kit Source: manifests
// verified with the image key, chunks as stored.
type Images struct{ *chunkstore.Service }

var _ Source = Images{}

// Manifest returns image id's signed manifest, verified with the image key.
func (s Images) Manifest(id string) ([]byte, *manifest.Manifest, error) {
	signed, err := s.Manifests.Get(id)
	if err != nil {
		return nil, nil, err
	}
	m, err := manifest.Verify(signed, s.Key.Public().(ed25519.PublicKey))
	return signed, m, err
}

// Chunk opens a stored chunk's compressed frame.
func (s Images) Chunk(ctx context.Context, h manifest.Hash) (io.ReadCloser, error) {
	return s.Store.Get(ctx, h)
}
