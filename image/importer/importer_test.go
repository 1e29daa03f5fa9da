package importer

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestOpenFormats(t *testing.T) {
	raw := make([]byte, 3<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1 << 20 {
		raw[i] = byte(r.Uint32())
	}
	dir := t.TempDir()
	write := func(name string, enc func(io.Writer) io.WriteCloser) string {
		var b bytes.Buffer
		w := enc(&b)
		w.Write(raw)
		w.Close()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nop := func(w io.Writer) io.WriteCloser { return nopW{w} }
	tests := []struct {
		name string
		path string
		want Format
	}{
		{"raw", write("disk.raw", nop), Raw},
		{"zstd", write("disk.raw.zst", func(w io.Writer) io.WriteCloser { e, _ := zstd.NewWriter(w); return e }), Zstd},
		{"zstd without extension", write("disk.img", func(w io.Writer) io.WriteCloser { e, _ := zstd.NewWriter(w); return e }), Zstd},
		{"xz", write("disk.raw.xz", func(w io.Writer) io.WriteCloser { e, _ := xz.NewWriter(w); return e }), XZ},
		{"gzip", write("disk.raw.gz", func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }), Gzip},
	}
	if _, err := exec.LookPath("qemu-img"); err == nil {
		q := filepath.Join(dir, "disk.qcow2")
		if out, err := exec.Command("qemu-img", "convert", "-f", "raw", "-O", "qcow2", tests[0].path, q).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img: %v: %s", err, out)
		}
		tests = append(tests, struct {
			name string
			path string
			want Format
		}{"qcow2", q, QCOW2})
	} else {
		t.Error("qemu-img missing: install Debian package qemu-utils")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, f, err := Open(context.Background(), tt.path, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || f != tt.want || !bytes.Equal(got, raw) {
				t.Errorf("format %s (want %s), %d bytes, equal %v, err %v", f, tt.want, len(got), bytes.Equal(got, raw), err)
			}
		})
	}
}

type nopW struct{ io.Writer }

func (nopW) Close() error { return nil }
