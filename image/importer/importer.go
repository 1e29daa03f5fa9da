// Package importer turns an image file (raw, .raw.zst, .raw.xz, .raw.gz or
// qcow2) into the raw byte stream of one payload, detecting the format by
// magic bytes first and by extension second.
package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Format is an image file format.
type Format string

// Formats Open reads.
const (
	Raw   Format = "raw"
	Zstd  Format = "zst"
	XZ    Format = "xz"
	Gzip  Format = "gz"
	QCOW2 Format = "qcow2"
)

var magics = []struct {
	f     Format
	magic []byte
}{
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{XZ, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{Gzip, []byte{0x1f, 0x8b}},
	{QCOW2, []byte{'Q', 'F', 'I', 0xfb}},
}

// Detect names the format of a file from its first bytes, else its name.
func Detect(name string, head []byte) Format {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.f
		}
	}
	ext := strings.TrimPrefix(filepath.Ext(name), ".")
	for _, f := range []Format{Zstd, XZ, Gzip, QCOW2} {
		if ext == string(f) {
			return f
		}
	}
	return Raw
}

// Open returns the raw payload bytes of the image file at path and its
// format. qcow2 is converted by `qemu-img convert -O raw` into a sparse temp
// file in tmpDir (default os.TempDir()), removed on Close.
func Open(ctx context.Context, path, tmpDir string) (io.ReadCloser, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("opening image: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	head, _ := br.Peek(8)
	format := Detect(path, head)
	rc, err := decode(ctx, format, br, f, path, tmpDir)
	if err != nil {
		f.Close()
		return nil, format, fmt.Errorf("opening %s image %s: %w", format, path, err)
	}
	return rc, format, nil
}

func decode(ctx context.Context, format Format, br *bufio.Reader, f *os.File, path, tmpDir string) (io.ReadCloser, error) {
	switch format {
	case Zstd:
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return closers{d.IOReadCloser(), f}, nil
	case XZ:
		r, err := xz.NewReader(br)
		if err != nil {
			return nil, err
		}
		return closers{io.NopCloser(r), f}, nil
	case Gzip:
		r, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		return closers{r, f}, nil
	case QCOW2:
		f.Close()
		return convertQCOW2(ctx, path, tmpDir)
	default:
		return closers{io.NopCloser(br), f}, nil
	}
}

type closers []io.Closer

func (c closers) Read(p []byte) (int, error) { return c[0].(io.Reader).Read(p) }

func (c closers) Close() error {
	var first error
	for _, x := range c {
		if err := x.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func convertQCOW2(ctx context.Context, path, tmpDir string) (io.ReadCloser, error) {
	tmp, err := os.MkdirTemp(tmpDir, "ingot-import-")
	if err != nil {
		return nil, err
	}
	raw := filepath.Join(tmp, "disk.raw")
	cmd := exec.CommandContext(ctx, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", "-S", "4k", path, raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("qemu-img convert: %w: %s (is Debian package qemu-utils installed?)", err, bytes.TrimSpace(out))
	}
	f, err := os.Open(raw)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return closers{f, removeDir(tmp)}, nil
}

type removeDir string

func (d removeDir) Close() error { return os.RemoveAll(string(d)) }
