package oci

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Untar writes a flattened image's tar stream into dir through an os.Root,
// so no entry (not "../x", not a path through a symlink) can land outside
// it. Device nodes are skipped: /dev is the kernel's devtmpfs at boot.
func Untar(ctx context.Context, r io.Reader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	type dirTime struct {
		name string
		hdr  *tar.Header
	}
	var dirs []dirTime
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if name == "" {
			continue
		}
		if err := extract(root, tr, hdr, name); err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTime{name, hdr})
		}
	}
	// Directory times last: writing entries into a directory moves its mtime.
	for _, d := range dirs {
		root.Chtimes(d.name, d.hdr.ModTime, d.hdr.ModTime)
	}
	return nil
}

func extract(root *os.Root, tr *tar.Reader, hdr *tar.Header, name string) error {
	mode := os.FileMode(hdr.Mode).Perm() | specialBits(hdr.Mode)
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := root.Mkdir(name, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	case tar.TypeReg:
		root.Remove(name)
		f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		root.Remove(name)
		return withOwner(root.Symlink(hdr.Linkname, name), root, name, hdr, true)
	case tar.TypeLink:
		root.Remove(name)
		return root.Link(strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/"), name)
	default:
		return nil // devices, fifos: not needed in an image
	}
	if err := withOwner(nil, root, name, hdr, false); err != nil {
		return err
	}
	if err := root.Chmod(name, mode); err != nil {
		return err
	}
	return root.Chtimes(name, hdr.ModTime, hdr.ModTime)
}

func withOwner(err error, root *os.Root, name string, hdr *tar.Header, link bool) error {
	if err != nil {
		return err
	}
	if link {
		return root.Lchown(name, hdr.Uid, hdr.Gid)
	}
	return root.Chown(name, hdr.Uid, hdr.Gid)
}

func specialBits(m int64) os.FileMode {
	var fm os.FileMode
	if m&04000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&02000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&01000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}
