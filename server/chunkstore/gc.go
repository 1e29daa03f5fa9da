package chunkstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ingot.dev/ingot/image/manifest"
)

func (l *Local) refPath(owner string) (string, error) {
	if owner == "" || strings.ContainsAny(owner, "/\\\x00") || owner == "." || owner == ".." {
		return "", fmt.Errorf("reference owner %q: not a valid name", owner)
	}
	return filepath.Join(l.root, "refs", hex.EncodeToString([]byte(owner))), nil
}

// Ref records owner's reference set, one hex hash per line.
func (l *Local) Ref(_ context.Context, owner string, hashes []manifest.Hash) error {
	p, err := l.refPath(owner)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	for _, h := range hashes {
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	if err := writeAtomic(filepath.Join(l.root, "tmp"), p, b.Bytes()); err != nil {
		return fmt.Errorf("recording references of %s: %w", owner, err)
	}
	return nil
}

// Unref drops owner's reference set.
func (l *Local) Unref(_ context.Context, owner string) error {
	p, err := l.refPath(owner)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dropping references of %s: %w", owner, err)
	}
	return nil
}

// RefCount returns how many owners reference h.
func (l *Local) RefCount(ctx context.Context, h manifest.Hash) (int, error) {
	live, err := l.live(ctx)
	return live[h], err
}

func (l *Local) live(ctx context.Context) (map[manifest.Hash]int, error) {
	entries, err := os.ReadDir(filepath.Join(l.root, "refs"))
	if err != nil {
		return nil, fmt.Errorf("reading references: %w", err)
	}
	live := map[manifest.Hash]int{}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(filepath.Join(l.root, "refs", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading references: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			h, err := manifest.ParseHash(sc.Text())
			if err != nil {
				return nil, fmt.Errorf("reference set %s: %w", e.Name(), err)
			}
			live[h]++
		}
	}
	return live, nil
}

// GC deletes chunks no owner references whose files are older than grace,
// and stale temp files.
func (l *Local) GC(ctx context.Context, grace time.Duration) (GCResult, error) {
	var res GCResult
	live, err := l.live(ctx)
	if err != nil {
		return res, err
	}
	cutoff := time.Now().Add(-grace)
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
		if (perr == nil && live[h] > 0) || fi.ModTime().After(cutoff) {
			res.Kept++
			return nil
		}
		if err := os.Remove(path); err != nil {
			return err
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
