package imagecheck_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"strings"
	"testing"

	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/imagecheck/imagechecktest"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		deep    bool
		breakIt func(t *testing.T, svc *chunkstore.Service, id string, chunk string)
		want    string // substring of the error; "" for none
	}{
		{name: "whole image", want: ""},
		{name: "whole image deep", deep: true, want: ""},
		{name: "chunk deleted", want: "missing from the chunk store", breakIt: func(t *testing.T, svc *chunkstore.Service, _, chunk string) {
			deleteChunk(t, svc, chunk)
		}},
		{name: "chunk truncated", want: "compressed bytes", breakIt: func(t *testing.T, svc *chunkstore.Service, _, chunk string) {
			path := svc.Store.(*chunkstore.Local).Path(mustHash(t, chunk))
			if err := os.Truncate(path, 10); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "chunk corrupted, deep", deep: true, want: "does not match its sha256", breakIt: func(t *testing.T, svc *chunkstore.Service, _, chunk string) {
			path := svc.Store.(*chunkstore.Local).Path(mustHash(t, chunk))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)-5] ^= 0xff
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "manifest missing", want: "no manifest stored", breakIt: func(t *testing.T, svc *chunkstore.Service, id, _ string) {
			svc.Manifests = mustManifests(t)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := imagechecktest.NewService(t)
			id, hashes := imagechecktest.Import(t, svc, "debian", imagechecktest.Block(1), imagechecktest.Block(2))
			chunk := hashes[1].String()
			if tt.breakIt != nil {
				tt.breakIt(t, svc, id, chunk)
			}
			c := imagecheck.Checker{Manifests: svc.Manifests, Chunks: svc.Store, Key: svc.Key.Public().(ed25519.PublicKey), Deep: tt.deep}
			err := c.Check(context.Background(), id)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			var ce *imagecheck.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Check = %v, want an *imagecheck.Error", err)
			}
			for _, s := range []string{tt.want, id, "re-import"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Check = %q, want it to mention %q", err, s)
				}
			}
			if ce.Chunk != "" && ce.Chunk != chunk {
				t.Errorf("Error.Chunk = %s, want %s", ce.Chunk, chunk)
			}
		})
	}
}

func TestCheckOtherKey(t *testing.T) {
	svc := imagechecktest.NewService(t)
	id, _ := imagechecktest.Import(t, svc, "debian", imagechecktest.Block(1))
	other, _, _ := ed25519.GenerateKey(nil)
	err := imagecheck.Check(context.Background(), svc.Manifests, svc.Store, other, id)
	if err == nil || !strings.Contains(err.Error(), "signing key") {
		t.Fatalf("Check with another key = %v, want a signature error", err)
	}
}

func deleteChunk(t *testing.T, svc *chunkstore.Service, chunk string) {
	t.Helper()
	if err := svc.Store.Delete(context.Background(), mustHash(t, chunk)); err != nil {
		t.Fatal(err)
	}
}

func mustManifests(t *testing.T) *chunkstore.Manifests {
	m, err := chunkstore.NewManifests(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return m
}
