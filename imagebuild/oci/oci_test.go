package oci_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/assemble"
	"ingot.dev/ingot/imagebuild/imagebuildtest"
	"ingot.dev/ingot/imagebuild/internal/testimage"
	"ingot.dev/ingot/imagebuild/oci"
)

// treeLayer tars a directory tree into a layer, owners and symlinks kept.
func treeLayer(t *testing.T, dir string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if d.Type()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		if !d.IsDir() && !d.Type().IsRegular() && link == "" {
			return nil
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name, _ = filepath.Rel(dir, p)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytesLayer(t, buf.Bytes())
}

func bytesLayer(t *testing.T, b []byte) v1.Layer {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// filesLayer is a layer of regular files (and whiteouts: names .wh.X).
func filesLayer(t *testing.T, files map[string]string) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	return bytesLayer(t, buf.Bytes())
}

func writeLayout(t *testing.T, layers ...v1.Layer) string {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err == nil {
		err = p.AppendImage(img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func recipe(ref string) imagebuild.Recipe {
	return imagebuild.Recipe{Name: "oci-test", Backend: oci.Name, Reference: ref, Cmdline: "console=ttyS0"}.WithDefaults()
}

// debianLayout is an OCI layout made from the debootstrap test tree, plus a
// second layer that deletes /etc/motd with a whiteout and adds a file.
func debianLayout(t *testing.T) string {
	testimage.Require(t)
	a := testimage.Cached(t, testimage.Recipe())
	return writeLayout(t, treeLayer(t, testimage.Tree(a)),
		filesLayer(t, map[string]string{"etc/.wh.motd": "", "etc/ingot-layer2": "two\n"}))
}

func TestConformance(t *testing.T) {
	ref := debianLayout(t)
	imagebuildtest.Run(t, oci.New(oci.Config{Epoch: testimage.Epoch}), imagebuildtest.Fixture{
		Recipe: recipe(ref),
		Check: func(t *testing.T, res *imagebuild.Result) {
			if _, err := os.Stat(filepath.Join(res.Tree, "etc/motd")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("etc/motd survived its whiteout: %v", err)
			}
			if b, _ := os.ReadFile(filepath.Join(res.Tree, "etc/ingot-layer2")); string(b) != "two\n" {
				t.Errorf("etc/ingot-layer2 = %q", b)
			}
			if _, err := assemble.FindKernel(res.Tree); err != nil {
				t.Error(err)
			}
			if res.OS.ID != "debian" {
				t.Errorf("OS = %+v", res.OS)
			}
		},
	})
	t.Run("Pipeline", func(t *testing.T) {
		reg := imagebuild.NewRegistry(oci.New(oci.Config{Epoch: testimage.Epoch}))
		a, err := imagebuild.Build(context.Background(), reg, recipe(ref), imagebuild.Config{WorkRoot: t.TempDir(), Epoch: testimage.Epoch})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Remove()
		if len(a.Payloads) != 1 || a.Payloads[0].Role != "disk" || a.OS.ID != "debian" {
			t.Errorf("artifacts %+v", a)
		}
	})
}

func TestNoKernel(t *testing.T) {
	ref := writeLayout(t, filesLayer(t, map[string]string{"etc/os-release": "ID=tiny\n", "bin/sh": "#!"}))
	work := t.TempDir()
	reg := imagebuild.NewRegistry(oci.New(oci.Config{Epoch: testimage.Epoch}))
	_, err := imagebuild.Build(context.Background(), reg, recipe(ref), imagebuild.Config{WorkRoot: work, Epoch: testimage.Epoch})
	if !errors.Is(err, assemble.ErrNoKernel) || !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), "/usr/lib/modules") {
		t.Fatalf("Build of a kernel-less image = %v, want ErrNoKernel naming the reference and where kernels go", err)
	}
	if left, _ := os.ReadDir(work); len(left) > 0 {
		t.Errorf("failed build left %s", left[0].Name())
	}
}

func TestUntarStaysInside(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "escape", Typeflag: tar.TypeSymlink, Linkname: "/tmp"})
	body := "x"
	tw.WriteHeader(&tar.Header{Name: "escape/ingot-untar-escape", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	err := oci.Untar(context.Background(), &buf, t.TempDir())
	if _, serr := os.Stat("/tmp/ingot-untar-escape"); serr == nil {
		os.Remove("/tmp/ingot-untar-escape")
		t.Fatal("a tar entry wrote through a symlink out of the tree")
	}
	if err == nil {
		t.Error("Untar accepted a path through a symlink out of the tree")
	}
}
