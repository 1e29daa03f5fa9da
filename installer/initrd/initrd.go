// Package initrd appends small overlays to an initramfs: a gzip'd newc cpio
// archive concatenated after the existing ones, whose files the kernel
// unpacks over the earlier ones. The installer uses it to give an image's
// initramfs (built with the storage hooks) the host's crypttab and
// mdadm.conf without running mkinitramfs under emulation.
package initrd

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// File is one file of an overlay, by its path in the initramfs.
type File struct {
	Name string // relative, e.g. "cryptroot/crypttab"
	Data []byte
	Mode uint32 // permission bits; default 0644
}

const (
	modeDir  = 0o040000
	modeFile = 0o100000
)

// Overlay returns the gzip'd newc archive holding files and their parent
// directories.
func Overlay(files []File) ([]byte, error) {
	var raw bytes.Buffer
	ino := uint32(1)
	dirs := map[string]bool{}
	for _, f := range files {
		name := strings.TrimPrefix(path.Clean("/"+f.Name), "/")
		var parents []string
		for d := path.Dir(name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			parents = append(parents, d)
		}
		slices.Reverse(parents)
		for _, d := range parents {
			record(&raw, ino, d, modeDir|0o755, nil)
			ino++
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		record(&raw, ino, name, modeFile|mode, f.Data)
		ino++
	}
	record(&raw, 0, "TRAILER!!!", 0, nil)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// record writes one newc header, name and data, each padded to 4 bytes.
func record(w io.Writer, ino uint32, name string, mode uint32, data []byte) {
	nlink := 1
	if mode&modeDir != 0 {
		nlink = 2
	}
	fmt.Fprintf(w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	fmt.Fprintf(w, "%s\x00", name)
	pad(w, 110+len(name)+1)
	_, _ = w.Write(data)
	pad(w, len(data))
}

func pad(w io.Writer, n int) {
	_, _ = w.Write(make([]byte, (4-n%4)%4))
}
