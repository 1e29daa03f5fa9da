package server

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/httpapi"
)

// imageService is the chunk store's Service as the API needs it.
type imageService struct{ *chunkstore.Service }

var _ httpapi.Images = imageService{}

// Release drops a deleted image's references to its chunks.
func (s imageService) Release(ctx context.Context, id string) error {
	return s.Store.Unref(ctx, id)
}

// openImages opens the chunk store, the manifests and the signing key in the
// data directory (the layout `ingot image --local DIR` uses too) and returns
// the service and the handler serving chunks and manifests.
func openImages(dataDir string, log *slog.Logger) (imageService, http.Handler, []byte, error) {
	store, err := chunkstore.NewLocal(filepath.Join(dataDir, "chunks"))
	if err != nil {
		return imageService{}, nil, nil, fmt.Errorf("opening chunk store: %w", err)
	}
	mans, err := chunkstore.NewManifests(filepath.Join(dataDir, "manifests"))
	if err != nil {
		return imageService{}, nil, nil, fmt.Errorf("opening manifests: %w", err)
	}
	key, err := manifest.LoadOrCreateSigningKey(filepath.Join(dataDir, "signing.key"))
	if err != nil {
		return imageService{}, nil, nil, fmt.Errorf("loading the image signing key: %w", err)
	}
	pem, err := manifest.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		return imageService{}, nil, nil, err
	}
	h := chunkstore.NewHandler(store, mans, chunkstore.HandlerOptions{PublicKey: pem, Logger: log})
	return imageService{&chunkstore.Service{Store: store, Manifests: mans, Key: key}}, h, pem, nil
}
