package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/steps"
)

// imageService is the chunk store's Service as the API needs it.
type imageService struct{ *chunkstore.Service }

var (
	_ httpapi.Images         = imageService{}
	_ httpapi.ImageChecker   = imageService{}
	_ httpapi.ImageCollector = imageService{}
	_ steps.ImageChecker     = imageService{}
)

// Release drops a deleted image's references to its chunks.
func (s imageService) Release(ctx context.Context, id string) error {
	return s.Store.Unref(ctx, id)
}

// CheckImage verifies image id's signature and that its chunks are stored.
func (s imageService) CheckImage(ctx context.Context, id string) error {
	return imagecheck.Check(ctx, s.Manifests, s.Store, s.Key.Public().(ed25519.PublicKey), id)
}

// deepChecker checks images in full: every chunk is read and hashed.
type deepChecker struct{ imageService }

// CheckImage verifies image id's signature and every chunk's content.
func (d deepChecker) CheckImage(ctx context.Context, id string) error {
	return imagecheck.Checker{Manifests: d.Manifests, Chunks: d.Store, Key: d.Key.Public().(ed25519.PublicKey), Deep: true}.Check(ctx, id)
}

// CollectImages runs the chunk store's GC, keeping every chunk of the
// images in keep even if their reference sets were lost.
func (s imageService) CollectImages(ctx context.Context, keep []string, grace time.Duration, dryRun bool) (httpapi.ImageGCResult, error) {
	c, ok := s.Store.(imagecheck.Collector)
	if !ok {
		return httpapi.ImageGCResult{}, errors.New("the chunk store cannot collect garbage")
	}
	res, err := imagecheck.Collect(ctx, s.Manifests, c, s.Key.Public().(ed25519.PublicKey), keep, grace, dryRun)
	return httpapi.ImageGCResult{DryRun: dryRun, Chunks: res.Deleted, Bytes: res.FreedBytes, Kept: res.Kept}, err
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
