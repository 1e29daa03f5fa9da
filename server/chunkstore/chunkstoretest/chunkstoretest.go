// Package chunkstoretest is the conformance suite every chunkstore.Store
// implementation runs.
package chunkstoretest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
)

// Frame returns raw's sha256 and its zstd frame.
func Frame(t testing.TB, raw []byte) (manifest.Hash, []byte) {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return manifest.Sum(raw), enc.EncodeAll(raw, nil)
}

// Run runs the conformance suite against stores made by newStore, which
// must return an empty store.
func Run(t *testing.T, newStore func(t *testing.T) chunkstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s chunkstore.Store)
	}{
		{"put then get", testPutGet},
		{"mismatch refused", testMismatch},
		{"missing", testMissing},
		{"put is idempotent and concurrent", testConcurrentPut},
		{"delete", testDelete},
		{"gc keeps referenced chunks", testGC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

func put(t *testing.T, s chunkstore.Store, raw []byte) (manifest.Hash, []byte) {
	t.Helper()
	h, frame := Frame(t, raw)
	if err := s.Put(context.Background(), h, bytes.NewReader(frame)); err != nil {
		t.Fatalf("Put(%s): %v", h, err)
	}
	return h, frame
}

func testPutGet(t *testing.T, s chunkstore.Store) {
	ctx := context.Background()
	h, frame := put(t, s, bytes.Repeat([]byte("ingot"), 100000))
	if ok, err := s.Has(ctx, h); !ok || err != nil {
		t.Fatalf("Has = %v, %v; want true", ok, err)
	}
	if n, err := s.Stat(ctx, h); n != int64(len(frame)) || err != nil {
		t.Fatalf("Stat = %d, %v; want %d", n, err, len(frame))
	}
	rc, err := s.Get(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, frame) {
		t.Errorf("Get returned %d bytes that differ from the %d stored", len(got), len(frame))
	}
}

func testMismatch(t *testing.T, s chunkstore.Store) {
	ctx := context.Background()
	h, _ := Frame(t, []byte("claimed"))
	_, other := Frame(t, []byte("actual"))
	tests := []struct {
		name string
		body []byte
	}{
		{"other content", other},
		{"not zstd", []byte("plain bytes")},
		{"truncated frame", other[:len(other)/2]},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Put(ctx, h, bytes.NewReader(tt.body))
			if !errors.Is(err, chunkstore.ErrHashMismatch) {
				t.Errorf("Put = %v, want ErrHashMismatch", err)
			}
			if ok, _ := s.Has(ctx, h); ok {
				t.Error("refused chunk is stored")
			}
		})
	}
}

func testMissing(t *testing.T, s chunkstore.Store) {
	ctx := context.Background()
	h := manifest.Sum([]byte("never stored"))
	if _, err := s.Get(ctx, h); !errors.Is(err, chunkstore.ErrNotFound) {
		t.Errorf("Get = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, h); !errors.Is(err, chunkstore.ErrNotFound) {
		t.Errorf("Stat = %v, want ErrNotFound", err)
	}
	if ok, err := s.Has(ctx, h); ok || err != nil {
		t.Errorf("Has = %v, %v; want false, nil", ok, err)
	}
}

func testConcurrentPut(t *testing.T, s chunkstore.Store) {
	h, frame := Frame(t, bytes.Repeat([]byte{7}, 1<<20))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Put(context.Background(), h, bytes.NewReader(frame)) })
	}
	wg.Wait()
	if diff := cmp.Diff(make([]error, 8), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("concurrent Put errors (-want +got):\n%s", diff)
	}
	if n, err := s.Stat(context.Background(), h); n != int64(len(frame)) || err != nil {
		t.Errorf("Stat = %d, %v; want %d", n, err, len(frame))
	}
}

func testDelete(t *testing.T, s chunkstore.Store) {
	ctx := context.Background()
	h, _ := put(t, s, []byte("short-lived"))
	for range 2 { // the second delete finds nothing and succeeds
		if err := s.Delete(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := s.Has(ctx, h); ok {
		t.Error("deleted chunk still present")
	}
}

func testGC(t *testing.T, s chunkstore.Store) {
	ctx := context.Background()
	a, _ := put(t, s, []byte("referenced by two images"))
	b, _ := put(t, s, []byte("referenced by one image"))
	c, _ := put(t, s, []byte("orphan"))
	must(t, s.Ref(ctx, "sha256:1111", []manifest.Hash{a, b}))
	must(t, s.Ref(ctx, "sha256:2222", []manifest.Hash{a}))
	if res, err := s.GC(ctx, time.Hour); err != nil || res.Deleted != 0 {
		t.Fatalf("GC within grace = %+v, %v; want nothing deleted", res, err)
	}
	steps := []struct {
		unref string
		want  map[manifest.Hash]bool
	}{
		{"", map[manifest.Hash]bool{a: true, b: true, c: false}},
		{"sha256:1111", map[manifest.Hash]bool{a: true, b: false, c: false}},
		{"sha256:2222", map[manifest.Hash]bool{a: false, b: false, c: false}},
	}
	for _, st := range steps {
		if st.unref != "" {
			must(t, s.Unref(ctx, st.unref))
		}
		if _, err := s.GC(ctx, -time.Second); err != nil {
			t.Fatal(err)
		}
		got := map[manifest.Hash]bool{}
		for _, h := range []manifest.Hash{a, b, c} {
			got[h], _ = s.Has(ctx, h)
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("after unref %q (-want +got):\n%s", st.unref, diff)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
