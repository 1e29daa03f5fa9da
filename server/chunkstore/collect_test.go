package chunkstore_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/chunkstore/chunkstoretest"
)

func TestCollectDryRunAndKeep(t *testing.T) {
	ctx := t.Context()
	s, err := chunkstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var hashes []manifest.Hash
	var sizes []int64
	for _, b := range []byte{1, 2, 3} {
		h, frame := chunkstoretest.Frame(t, bytes.Repeat([]byte{b}, 4096))
		if err := s.Put(ctx, h, bytes.NewReader(frame)); err != nil {
			t.Fatal(err)
		}
		hashes, sizes = append(hashes, h), append(sizes, int64(len(frame)))
	}
	if err := s.Ref(ctx, "img", hashes[:1]); err != nil {
		t.Fatal(err)
	}
	keep := map[manifest.Hash]bool{hashes[1]: true}
	want := chunkstore.GCResult{Deleted: 1, Kept: 2, FreedBytes: sizes[2]}
	got, err := s.Collect(ctx, chunkstore.GCOptions{DryRun: true, Keep: keep})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	if ok, _ := s.Has(ctx, hashes[2]); !ok {
		t.Fatal("dry run deleted a chunk")
	}
	if got, err = s.Collect(ctx, chunkstore.GCOptions{Keep: keep}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("collect (-want +got):\n%s", diff)
	}
	for i, wantHas := range []bool{true, true, false} {
		if has, _ := s.Has(ctx, hashes[i]); has != wantHas {
			t.Errorf("chunk %d stored = %v, want %v", i, has, wantHas)
		}
	}
}
