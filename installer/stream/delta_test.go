package stream

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/image/manifest"
)

type deltaCounts struct{ Fetched, Skipped, Zero int64 }

func TestDelta(t *testing.T) {
	const chunk = 64 << 10
	base := shapeA(4<<20, chunk, 8) // 64 chunks
	img := buildImage(t, base, chunk)
	p := img.m.Payloads[0]
	stored := map[int64]bool{}
	for _, c := range p.Chunks {
		stored[c.Index] = true
	}
	var dataIdx, zeroIdx []int64
	for i := range p.NumChunks() {
		if stored[i] {
			dataIdx = append(dataIdx, i)
		} else {
			zeroIdx = append(zeroIdx, i)
		}
	}
	scribble := func(idx ...int64) func([]byte) {
		return func(b []byte) {
			for _, i := range idx {
				copy(b[i*chunk+100:], "scribbled")
			}
		}
	}
	tests := []struct {
		name   string
		change func(target []byte)
		want   deltaCounts
	}{
		{"unchanged", func([]byte) {}, deltaCounts{Skipped: 64}},
		{"three data chunks changed", scribble(dataIdx[0], dataIdx[3], dataIdx[5]), deltaCounts{Fetched: 3, Skipped: 61}},
		{"two zero chunks dirtied", scribble(zeroIdx[1], zeroIdx[4]), deltaCounts{Skipped: 62, Zero: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "disk.img")
			old := bytes.Clone(base)
			tt.change(old)
			if err := os.WriteFile(target, old, 0o644); err != nil {
				t.Fatal(err)
			}
			opts := fastOpts()
			opts.Delta = true
			res, err := WriteImage(context.Background(), Dir(img.dir), img.id, img.pub, "", target, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, deltaCounts{res.ChunksFetched, res.DeltaSkipped, res.ZeroChunks}); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			if tt.want.Fetched == 0 && res.BytesFetched != 0 {
				t.Errorf("fetched %d bytes, want 0", res.BytesFetched)
			}
			if !bytes.Equal(readFile(t, target), base) {
				t.Error("target differs from the image after delta write")
			}
		})
	}
}

func TestResumeAfterCancelFetchesOnlyMissing(t *testing.T) {
	data := shapeB(4<<20, 9)
	img := buildImage(t, data, 64<<10) // 64 stored chunks
	target := filepath.Join(t.TempDir(), "disk.img")
	ctx, cancel := context.WithCancel(context.Background())
	src := &countingSource{Source: Dir(img.dir), hook: func(n int64) {
		if n == 20 {
			cancel()
		}
	}}
	first, err := WriteImage(ctx, src, img.id, img.pub, "", target, fastOpts())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first write = %v, want context.Canceled", err)
	}
	if first.ChunksWritten == 0 || first.ChunksWritten >= 64 {
		t.Fatalf("first write wrote %d chunks; want a partial write", first.ChunksWritten)
	}
	opts := fastOpts()
	opts.Delta = true
	second, err := WriteImage(context.Background(), Dir(img.dir), img.id, img.pub, "", target, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := second.ChunksFetched, 64-first.ChunksWritten; got != want {
		t.Errorf("resume fetched %d chunks, want %d (64 - %d already written)", got, want, first.ChunksWritten)
	}
	if !bytes.Equal(readFile(t, target), data) {
		t.Error("target differs after resume")
	}
}

func TestCorruptChunkNeverWritten(t *testing.T) {
	data := shapeB(2<<20, 10)
	img := buildImage(t, data, 64<<10)
	bad := img.m.Payloads[0].Chunks[5]
	s := bad.Hash.String()
	frame := readFile(t, filepath.Join(img.dir, "chunks", s[:2], s))
	frame[len(frame)/2] ^= 0xff // still the advertised size; content differs
	if err := os.WriteFile(filepath.Join(img.dir, "chunks", s[:2], s), frame, 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(target, bytes.Repeat([]byte{0xAA}, len(data)), 0o644); err != nil {
		t.Fatal(err)
	}
	src := &countingSource{Source: Dir(img.dir)}
	_, err := WriteImage(context.Background(), src, img.id, img.pub, "", target, fastOpts())
	var ce *ChunkError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v; want a ChunkError wrapping ErrCorrupt", err)
	}
	if ce.Hash != bad.Hash || ce.Offset != 5*64<<10 {
		t.Errorf("error names chunk %s at %d; want %s at %d", ce.Hash, ce.Offset, bad.Hash, 5*64<<10)
	}
	if got := src.opens[bad.Hash]; got != 4 {
		t.Errorf("corrupt chunk fetched %d times, want 4 (1 + 3 retries)", got)
	}
	region := readFile(t, target)[5*64<<10 : 6*64<<10]
	if !bytes.Equal(region, bytes.Repeat([]byte{0xAA}, 64<<10)) {
		t.Error("bytes of the corrupt chunk reached the target")
	}
}

func TestRefusedBeforeAnyWrite(t *testing.T) {
	img := buildImage(t, shapeA(1<<20, 64<<10, 11), 64<<10)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	v2 := *img.m
	v2.Version = 2
	tests := []struct {
		name   string
		signed []byte
		want   error
	}{
		{"signed by another key", mustSign(t, img.m, otherKey), manifest.ErrBadSignature},
		{"unknown version", signUnchecked(t, &v2, img.priv), manifest.ErrUnknownVersion},
		{"not a signed manifest", []byte(`{"version":1}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := writeSigned(t, img.dir, tt.signed)
			target := filepath.Join(t.TempDir(), "disk.img")
			src := &countingSource{Source: Dir(img.dir)}
			_, err := WriteImage(context.Background(), src, id, img.pub, "", target, fastOpts())
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if _, serr := os.Stat(target); !errors.Is(serr, os.ErrNotExist) || src.total.Load() != 0 {
				t.Errorf("target touched (%v) or chunks fetched (%d) before refusal: %v", serr, src.total.Load(), err)
			}
		})
	}
	t.Run("id does not match manifest", func(t *testing.T) {
		wrong := "sha256:" + manifest.Sum([]byte("x")).String()
		if err := os.Rename(filepath.Join(img.dir, "manifests", img.id[7:]), filepath.Join(img.dir, "manifests", wrong[7:])); err != nil {
			t.Fatal(err)
		}
		if _, err := FetchManifest(context.Background(), Dir(img.dir), wrong, img.pub); err == nil {
			t.Error("manifest accepted under another id")
		}
	})
}

// signUnchecked signs m like a newer server would, without validation. The
// context string duplicates manifest's signing context on purpose.
func signUnchecked(t *testing.T, m *manifest.Manifest, priv ed25519.PrivateKey) []byte {
	t.Helper()
	body, err := manifest.Canonical(m)
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(priv, append([]byte("ingot.dev/manifest/v1\x00"), body...))
	out, _ := json.Marshal(map[string]string{
		"key_id": manifest.KeyID(priv.Public().(ed25519.PublicKey)), "manifest": base64.StdEncoding.EncodeToString(body),
		"signature": base64.StdEncoding.EncodeToString(sig),
	})
	return out
}
