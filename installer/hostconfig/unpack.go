package hostconfig

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// MaxLayerFile bounds one file of a config layer: a layer holds config
// files, not payloads.
const MaxLayerFile = 16 << 20

// Unpack writes a host image's config layer (a tar of regular files and
// symlinks, as server/hostimage packs it) into the installed system mounted
// at root, the same way Write writes rendered files: missing parents made
// (0700 under /root/.ssh, else 0755), existing files replaced. Entries that
// are not clean relative paths, or are neither files nor symlinks, are
// refused before anything is written. It returns the number of entries.
func Unpack(root string, layer io.Reader) (int, error) {
	var files []File
	tr := tar.NewReader(layer)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("config layer: %w", err)
		}
		name := h.Name
		if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
			return 0, fmt.Errorf("config layer: entry %q is not a clean relative path", h.Name)
		}
		f := File{Path: "/" + name, Mode: fs.FileMode(h.Mode) & fs.ModePerm}
		switch h.Typeflag {
		case tar.TypeReg:
			if h.Size > MaxLayerFile {
				return 0, fmt.Errorf("config layer: %s is %d bytes, more than a config file may be (%d)", f.Path, h.Size, MaxLayerFile)
			}
			if f.Data, err = io.ReadAll(tr); err != nil {
				return 0, fmt.Errorf("config layer: %s: %w", f.Path, err)
			}
		case tar.TypeSymlink:
			f.Link = h.Linkname
		default:
			return 0, fmt.Errorf("config layer: %s has tar type %q; a layer holds files and symlinks only", f.Path, h.Typeflag)
		}
		files = append(files, f)
	}
	for _, f := range files {
		if err := writeFile(root, f); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}
