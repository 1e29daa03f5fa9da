// Package imagechecktest builds small finalized images in a chunk store for
// tests.
package imagechecktest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/chunkstore/chunkstoretest"
)

// ChunkSize is the chunk size of the images Import builds.
const ChunkSize = 4096

// NewService returns a chunk service on a local store in a temporary directory.
func NewService(t testing.TB) *chunkstore.Service {
	t.Helper()
	dir := t.TempDir()
	cs, err := chunkstore.NewLocal(filepath.Join(dir, "chunks"))
	if err != nil {
		t.Fatal(err)
	}
	mans, err := chunkstore.NewManifests(filepath.Join(dir, "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	return &chunkstore.Service{Store: cs, Manifests: mans, Key: key}
}

// Block returns a ChunkSize block filled with b.
func Block(b byte) []byte { return bytes.Repeat([]byte{b}, ChunkSize) }

// Import stores blocks as the chunks of a one-payload amd64/uefi disk image
// and finalizes it. It returns the image ID and the chunk hashes in order.
func Import(t testing.TB, svc *chunkstore.Service, name string, blocks ...[]byte) (string, []manifest.Hash) {
	t.Helper()
	ctx := context.Background()
	p := manifest.Payload{Role: "disk", Kind: manifest.KindRawDisk, Size: int64(len(blocks)) * ChunkSize, ChunkSize: ChunkSize}
	var hashes []manifest.Hash
	for i, raw := range blocks {
		h, frame := chunkstoretest.Frame(t, raw)
		if err := svc.Store.Put(ctx, h, bytes.NewReader(frame)); err != nil {
			t.Fatal(err)
		}
		p.Chunks = append(p.Chunks, manifest.Chunk{Index: int64(i), Hash: h, CompressedSize: int64(len(frame))})
		hashes = append(hashes, h)
	}
	m := manifest.Manifest{Version: manifest.Version, Name: name, Arch: "amd64", Firmware: "uefi", Payloads: []manifest.Payload{p}}
	_, id, err := svc.Finalize(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	return id, hashes
}
