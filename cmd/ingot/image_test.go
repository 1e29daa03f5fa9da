package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"ingot.dev/ingot/client"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/stream"
)

func runImage(t *testing.T, app *App, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	app.Out, app.Err = &out, &errb
	cmd := newImageCommand(app)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("ingot image %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func testDisk(t *testing.T) (raw []byte, zstPath string) {
	t.Helper()
	raw = make([]byte, 20<<20+512)
	r := rand.New(rand.NewPCG(1, 1))
	for i := 4 << 20; i < 7<<20; i++ {
		raw[i] = byte(r.Uint32())
	}
	copy(raw[12<<20:], bytes.Repeat([]byte("ingot "), 100000))
	enc, _ := zstd.NewWriter(nil)
	zstPath = filepath.Join(t.TempDir(), "disk.raw.zst")
	if err := os.WriteFile(zstPath, enc.EncodeAll(raw, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	return raw, zstPath
}

func TestImageLocalRoundTrip(t *testing.T) {
	raw, zst := testDisk(t)
	data := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	id := strings.TrimSpace(runImage(t, &App{}, "import", zst, "--local", data, "--name", "disk"))
	if again := strings.TrimSpace(runImage(t, &App{}, "import", zst, "--local", data, "--name", "disk")); again != id {
		t.Errorf("re-import gave %s, want the same ID %s", again, id)
	}
	target := filepath.Join(t.TempDir(), "target.img")
	runImage(t, &App{}, "write", data, target, "--image", id, "--verify", "-q")
	if got, _ := os.ReadFile(target); !bytes.Equal(got, raw) {
		t.Fatal("written target differs from the imported disk")
	}
	out := runImage(t, &App{}, "write", data, target, "--image", id, "--delta", "-q")
	if !strings.Contains(out, "0 chunks fetched (0 bytes)") {
		t.Errorf("delta rewrite: %s; want nothing fetched", out)
	}
	exported := filepath.Join(t.TempDir(), "out.raw.zst")
	runImage(t, &App{}, "export", id, "--local", data, "--format", "raw.zst", "-O", exported)
	dec, _ := zstd.NewReader(nil)
	frame, _ := os.ReadFile(exported)
	if got, err := dec.DecodeAll(frame, nil); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("exported raw.zst differs from the disk (%v)", err)
	}
}

// TestImageServerRoundTrip imports into a real `ingot serve` (HEAD/PUT
// chunks, POST /v1/images), finds the image in the catalog, and writes it
// back over HTTP verified against the server's signing key.
func TestImageServerRoundTrip(t *testing.T) {
	raw, zst := testDisk(t)
	data := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000") // re-imports in another second must make the same ID too
	p := startServer(t, data)
	c := adminClient(t, p, data)
	app := &App{Server: p.url, Token: tokenOf(t, data)}
	id := strings.TrimSpace(runImage(t, app, "import", zst, "--name", "disk", "--firmware", "uefi"))
	img, err := c.Images().Get(context.Background(), id)
	if err != nil || img.Name != "disk" || img.Size != int64(len(raw)) {
		t.Fatalf("catalog record %+v (%v), want disk of %d bytes", img, err, len(raw))
	}
	if again := strings.TrimSpace(runImage(t, app, "import", zst, "--name", "disk", "--firmware", "uefi")); again != id {
		t.Errorf("re-import gave %s, want %s", again, id)
	}
	resp, err := http.Get(p.url + "/v1/signing-key")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	keyFile := filepath.Join(t.TempDir(), "signing.pub")
	os.WriteFile(keyFile, pub, 0o644)
	target := filepath.Join(t.TempDir(), "target.img")
	runImage(t, app, "write", p.url, target, "--image", id, "--pubkey", keyFile, "-q")
	if got, _ := os.ReadFile(target); !bytes.Equal(got, raw) {
		t.Fatal("written target differs from the imported disk")
	}
	// Without a token the manifest is refused; the chunks are public.
	if _, err := (&stream.HTTP{Base: p.url}).Manifest(context.Background(), id); err == nil {
		t.Error("manifest served without a token")
	}
}

// TestRegisterImageWithMissingChunks posts a manifest whose chunk was never
// uploaded: 422 naming the payloads, nothing registered.
func TestRegisterImageWithMissingChunks(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	c := adminClient(t, p, data)
	m := manifest.Manifest{Version: manifest.Version, Name: "ghost", Arch: "amd64", Firmware: "uefi",
		Payloads: []manifest.Payload{{Role: "disk", Kind: manifest.KindRawDisk, Size: 4 << 20, ChunkSize: manifest.DefaultChunkSize,
			Chunks: []manifest.Chunk{{Index: 0, Hash: manifest.Sum([]byte("never uploaded")), CompressedSize: 10}}}}}
	err := c.Do(context.Background(), http.MethodPost, "/v1/images", nil, map[string]any{"manifest": m}, nil)
	if client.StatusOf(err) != 422 || !strings.Contains(err.Error(), "body.manifest.payloads") {
		t.Fatalf("registering with a missing chunk: %v, want 422 at body.manifest.payloads", err)
	}
	if imgs, _ := c.Images().All(context.Background(), nil); len(imgs) != 0 {
		t.Errorf("%d images registered", len(imgs))
	}
}

func tokenOf(t *testing.T, data string) string {
	b, err := os.ReadFile(filepath.Join(data, "admin.token.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
