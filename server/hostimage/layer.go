package hostimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"ingot.dev/ingot/installer/hostconfig"
)

// Layer packs files into the config layer: a tar in which every entry
// (by path) has owner root, the given mtime and no other host detail, so
// the same files always give the same bytes. It holds no directory entries:
// unpacking must not change the modes of /etc or /root; missing parents
// are the unpacker's to create.
func Layer(files []hostconfig.File, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	sorted := append([]hostconfig.File(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, f := range sorted {
		if f.Src != "" {
			return nil, fmt.Errorf("config layer: %s is copied from a host file; a layer holds data only", f.Path)
		}
		name := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if name == "" || seen[name] {
			return nil, fmt.Errorf("config layer: path %q is empty or repeated", f.Path)
		}
		seen[name] = true
		h := &tar.Header{Name: name, Mode: int64(f.Mode.Perm()), ModTime: mtime, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(f.Data))}
		if f.Link != "" {
			h.Typeflag, h.Linkname, h.Size, h.Mode = tar.TypeSymlink, f.Link, 0, 0o777
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("config layer: %s: %w", f.Path, err)
		}
		if f.Link == "" {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, fmt.Errorf("config layer: %s: %w", f.Path, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("config layer: %w", err)
	}
	return buf.Bytes(), nil
}
