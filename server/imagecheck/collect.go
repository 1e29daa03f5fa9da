package imagecheck

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
)

// Collector is a chunk store that collects garbage.
type Collector interface {
	Collect(ctx context.Context, opts chunkstore.GCOptions) (chunkstore.GCResult, error)
}

var _ Collector = (*chunkstore.Local)(nil)

// Collect runs store's garbage collection (dry: counts only), keeping every
// chunk of the images in keep even if their reference sets were lost. An
// image without a stored manifest has no chunks to keep; one whose manifest
// does not verify stops the collection, since its chunks are unknown.
func Collect(ctx context.Context, mans Manifests, store Collector, pub ed25519.PublicKey, keep []string, grace time.Duration, dryRun bool) (chunkstore.GCResult, error) {
	pinned := map[manifest.Hash]bool{}
	for _, id := range keep {
		signed, err := mans.Get(id)
		if errors.Is(err, chunkstore.ErrNoManifest) {
			continue
		}
		if err != nil {
			return chunkstore.GCResult{}, fmt.Errorf("collecting garbage: %w", err)
		}
		m, err := manifest.Verify(signed, pub)
		if err != nil {
			return chunkstore.GCResult{}, fmt.Errorf("collecting garbage: image %s: %w; re-import or delete the image first", id, err)
		}
		for _, h := range m.Hashes() {
			pinned[h] = true
		}
	}
	return store.Collect(ctx, chunkstore.GCOptions{Grace: grace, DryRun: dryRun, Keep: pinned})
}
