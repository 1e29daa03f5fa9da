package assemble

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"golang.org/x/sys/unix"
)

// sortedLinkTree recreates the tree src at dst with every directory's
// entries created in name order, regular files hardlinked (no data is
// copied). mke2fs -d adds entries in readdir order, which follows creation
// order (or, for large directories, the name hash), not names: building from
// the sorted copy makes inode numbers and directory blocks the same on every
// build, whatever order the backend created files in.
func sortedLinkTree(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	names, err := readNames(src)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := linkEntry(filepath.Join(src, n), filepath.Join(dst, n)); err != nil {
			return err
		}
	}
	return copyMeta(src, dst, info)
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	sort.Strings(names)
	return names, err
}

func linkEntry(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st := info.Sys().(*syscall.Stat_t)
	switch {
	case info.IsDir():
		return sortedLinkTree(src, dst)
	case info.Mode().IsRegular():
		return os.Link(src, dst)
	case info.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	default: // devices, fifos, sockets
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod %s: %w", dst, err)
		}
	}
	return copyMeta(src, dst, info)
}

// copyMeta gives dst src's owner, mode and mtime (not following symlinks).
// The atime becomes the mtime too: reading the tree to size and copy it has
// moved the source's atimes to now.
func copyMeta(src, dst string, info os.FileInfo) error {
	st := info.Sys().(*syscall.Stat_t)
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink == 0 {
		if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
			return fmt.Errorf("chmod %s: %w", dst, err)
		}
	}
	ts := []unix.Timespec{unix.Timespec(st.Mtim), unix.Timespec(st.Mtim)}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}
