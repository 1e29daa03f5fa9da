package chunkstore

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ingot.dev/ingot/image/manifest"
)

// GCOptions tune a collection pass.
type GCOptions struct {
	// Grace spares files written more recently than this.
	Grace time.Duration
	// DryRun counts what would be deleted and deletes nothing.
	DryRun bool
	// Keep lists chunks to keep whatever the reference sets say (the
	// chunks of every image in the catalog).
	Keep map[manifest.Hash]bool
}

// Collect deletes (or, dry, counts) the chunks no owner references and
// opts.Keep does not list whose files are older than opts.Grace, and stale
// temp files.
func (l *Local) Collect(ctx context.Context, opts GCOptions) (GCResult, error) {
	var res GCResult
	live, err := l.live(ctx)
	if err != nil {
		return res, err
	}
	cutoff := time.Now().Add(-opts.Grace)
	err = filepath.WalkDir(l.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(l.root, path)
		if strings.HasPrefix(rel, "refs"+string(filepath.Separator)) {
			return nil
		}
		h, perr := manifest.ParseHash(d.Name())
		if perr != nil && !strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			return nil // not ours
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if (perr == nil && (live[h] > 0 || opts.Keep[h])) || fi.ModTime().After(cutoff) {
			res.Kept++
			return nil
		}
		if !opts.DryRun {
			if err := os.Remove(path); err != nil {
				return err
			}
		}
		res.Deleted++
		res.FreedBytes += fi.Size()
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("collecting garbage: %w", err)
	}
	return res, nil
}
