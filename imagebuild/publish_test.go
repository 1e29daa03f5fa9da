package imagebuild_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/internal/testimage"
)

// TestPublishProgress: progress only grows and ends at the total of the
// payload files' sizes.
func TestPublishProgress(t *testing.T) {
	dir := t.TempDir()
	a := &imagebuild.Artifacts{Recipe: imagebuild.Recipe{Name: "p", Arch: "amd64", Firmware: imagebuild.UEFI}, Dir: dir, Epoch: time.Unix(1700000000, 0)}
	var total int64
	for i, size := range []int{12 << 20, 5 << 20} {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(j*7 + i)
		}
		p := filepath.Join(dir, []string{"disk.raw", "root.ext4"}[i])
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		a.Payloads = append(a.Payloads, imagebuild.PayloadFile{Role: []string{"disk", "root"}[i], Kind: manifest.KindRawDisk, Path: p})
		total += int64(size)
	}
	var last, calls int64
	m, err := imagebuild.PublishProgress(t.Context(), a, &testimage.MemSink{}, chunker.Options{}, func(done, tot int64) {
		if tot != total || done < last || done > tot {
			t.Errorf("progress %d/%d after %d, want growing up to %d", done, tot, last, total)
		}
		last, calls = done, calls+1
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != total || calls < 4 || len(m.Payloads) != 2 || m.Size() != total {
		t.Fatalf("progress ended at %d/%d after %d calls; manifest size %d", last, total, calls, m.Size())
	}
}
