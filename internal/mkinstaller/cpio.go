package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// newc file modes.
const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
	modeChar    = 0o020000
)

// entry is one member of an initramfs archive.
type entry struct {
	Name     string // path without a leading slash
	Mode     uint32 // type and permission bits
	Data     []byte // file content or symlink target
	Src      string // host file to read the content from, when Data is nil
	Maj, Min uint32 // device numbers of character devices
}

// archive collects entries by name; adding a file also adds its parents.
type archive map[string]entry

func (a archive) dir(name string) {
	name = strings.Trim(name, "/")
	if name == "" || name == "." {
		return
	}
	if _, ok := a[name]; ok {
		return
	}
	if i := strings.LastIndex(name, "/"); i > 0 {
		a.dir(name[:i])
	}
	a[name] = entry{Name: name, Mode: modeDir | 0o755}
}

func (a archive) add(e entry) {
	e.Name = strings.Trim(e.Name, "/")
	if i := strings.LastIndex(e.Name, "/"); i > 0 {
		a.dir(e.Name[:i])
	}
	a[e.Name] = e
}

// writeCPIO writes the archive in the newc format the kernel unpacks,
// parents before children, ending with the trailer.
func writeCPIO(w io.Writer, a archive) error {
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		e := a[n]
		data := e.Data
		if data == nil && e.Src != "" {
			b, err := os.ReadFile(e.Src)
			if err != nil {
				return fmt.Errorf("reading %s for %s: %w", e.Src, n, err)
			}
			data = b
		}
		if err := writeRecord(w, uint32(i+1), e, data); err != nil {
			return err
		}
	}
	return writeRecord(w, 0, entry{Name: "TRAILER!!!"}, nil)
}

func writeRecord(w io.Writer, ino uint32, e entry, data []byte) error {
	nlink := uint32(1)
	if e.Mode&0o170000 == modeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, e.Mode, 0, 0, nlink, 0, len(data), 0, 0, e.Maj, e.Min, len(e.Name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(e.Name)+8)
	buf = append(buf, hdr...)
	buf = append(buf, e.Name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("writing cpio header of %s: %w", e.Name, err)
	}
	if len(data) == 0 {
		return nil
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("writing cpio data of %s: %w", e.Name, err)
	}
	if n := len(data) % 4; n != 0 {
		if _, err := w.Write(make([]byte, 4-n)); err != nil {
			return fmt.Errorf("writing cpio padding of %s: %w", e.Name, err)
		}
	}
	return nil
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
