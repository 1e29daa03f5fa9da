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
	return l.Collect(ctx, GCOptions{Grace: grace})
}
