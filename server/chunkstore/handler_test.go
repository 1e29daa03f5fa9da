package chunkstore_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/chunkstore/chunkstoretest"
)

type fixture struct {
	store *chunkstore.Local
	mans  *chunkstore.Manifests
	srv   *httptest.Server
}

func newFixture(t *testing.T, opts chunkstore.HandlerOptions) *fixture {
	t.Helper()
	dir := t.TempDir()
	s, err := chunkstore.NewLocal(dir + "/chunks")
	if err != nil {
		t.Fatal(err)
	}
	m, err := chunkstore.NewManifests(dir + "/manifests")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(chunkstore.NewHandler(s, m, opts))
	t.Cleanup(srv.Close)
	return &fixture{s, m, srv}
}

type reply struct {
	Status int
	Header map[string]string
	Body   string
}

func do(t *testing.T, method, url string, body []byte, hdr map[string]string, keep ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Header: map[string]string{}, Body: string(b)}
	for _, k := range keep {
		r.Header[k] = resp.Header.Get(k)
	}
	return r
}

func TestHandlerChunks(t *testing.T) {
	f := newFixture(t, chunkstore.HandlerOptions{})
	h, frame := chunkstoretest.Frame(t, bytes.Repeat([]byte("chunk "), 50000))
	_, other := chunkstoretest.Frame(t, []byte("other"))
	url := f.srv.URL + "/v1/chunks/" + h.String()
	etag := `"` + h.String() + `"`
	tests := []struct {
		name   string
		method string
		url    string
		body   []byte
		hdr    map[string]string
		want   reply
	}{
		{"get before put", "GET", url, nil, nil, reply{Status: 404, Header: map[string]string{"Content-Type": "application/problem+json"}}},
		{"put mismatch", "PUT", url, other, nil, reply{Status: 422, Header: map[string]string{"Content-Type": "application/problem+json"}}},
		{"put", "PUT", url, frame, nil, reply{Status: 201, Header: map[string]string{"Content-Type": ""}}},
		{"get", "GET", url, nil, nil, reply{Status: 200, Body: string(frame), Header: map[string]string{"Content-Type": "application/zstd"}}},
		{"head", "HEAD", url, nil, nil, reply{Status: 200, Header: map[string]string{"Content-Type": "application/zstd"}}},
		{"range", "GET", url, nil, map[string]string{"Range": "bytes=10-19"}, reply{Status: 206, Body: string(frame[10:20]), Header: map[string]string{"Content-Type": "application/zstd"}}},
		{"if-none-match", "GET", url, nil, map[string]string{"If-None-Match": etag}, reply{Status: 304, Header: map[string]string{"Content-Type": ""}}},
		{"bad digest", "GET", f.srv.URL + "/v1/chunks/xyz", nil, nil, reply{Status: 400, Header: map[string]string{"Content-Type": "application/problem+json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, tt.method, tt.url, tt.body, tt.hdr, "Content-Type")
			if tt.want.Status >= 400 {
				got.Body = "" // problem details are free text
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	got := do(t, "GET", url, nil, nil, "Cache-Control", "ETag")
	want := map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "ETag": etag}
	if diff := cmp.Diff(want, got.Header); diff != "" {
		t.Errorf("cache headers (-want +got):\n%s", diff)
	}
}

func TestHandlerRateLimit(t *testing.T) {
	f := newFixture(t, chunkstore.HandlerOptions{RateLimit: 4 << 20})
	raw := make([]byte, 2<<20)
	rand.Read(raw)
	h, frame := chunkstoretest.Frame(t, raw)
	if err := f.store.Put(context.Background(), h, bytes.NewReader(frame)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := do(t, "GET", f.srv.URL+"/v1/chunks/"+h.String(), nil, nil)
	if took := time.Since(start); got.Status != 200 || took < 400*time.Millisecond || took > 2*time.Second {
		t.Errorf("2 MiB at 4 MiB/s took %v (status %d); want about 500ms", took, got.Status)
	}
}

func TestFinalize(t *testing.T) {
	f := newFixture(t, chunkstore.HandlerOptions{})
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	svc := &chunkstore.Service{Store: f.store, Manifests: f.mans, Key: priv}
	h, frame := chunkstoretest.Frame(t, []byte("payload bytes"))
	m := manifest.Manifest{Version: 1, Name: "img", Arch: "amd64", Firmware: "uefi", Payloads: []manifest.Payload{{
		Role: "disk", Kind: manifest.KindRawDisk, Size: 13, ChunkSize: manifest.DefaultChunkSize,
		Chunks: []manifest.Chunk{{Index: 0, Hash: h, CompressedSize: int64(len(frame))}},
	}}}
	if _, _, err := svc.Finalize(context.Background(), m); !errors.Is(err, chunkstore.ErrMissingChunks) {
		t.Fatalf("Finalize without chunks = %v, want ErrMissingChunks", err)
	}
	if err := f.store.Put(context.Background(), h, bytes.NewReader(frame)); err != nil {
		t.Fatal(err)
	}
	signed, id, err := svc.Finalize(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if id != manifest.Digest(signed) {
		t.Errorf("id %s is not the digest of the signed manifest", id)
	}
	got := do(t, "GET", f.srv.URL+"/v1/images/"+id+"/manifest", nil, nil)
	if got.Status != 200 || got.Body != string(signed) {
		t.Fatalf("manifest endpoint = %d %q", got.Status, got.Body)
	}
	if _, err := manifest.Verify([]byte(got.Body), priv.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("served manifest does not verify: %v", err)
	}
	if n, _ := f.store.RefCount(context.Background(), h); n != 1 {
		t.Errorf("ref count = %d, want 1", n)
	}
	if r := do(t, "GET", f.srv.URL+"/v1/images/sha256:"+strings.Repeat("0", 64)+"/manifest", nil, nil); r.Status != 404 {
		t.Errorf("unknown manifest: status %d, want 404", r.Status)
	}
}
