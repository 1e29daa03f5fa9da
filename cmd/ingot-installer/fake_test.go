package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/internal/testenv"
)

// testImage is a signed image held in memory: its chunks and manifest.
type testImage struct {
	id     string
	pubPEM string
	signed []byte
	chunks map[string][]byte
	m      *manifest.Manifest
	priv   ed25519.PrivateKey
}

// withLayer returns img as a host image: its payloads plus a config-tar
// payload holding layer, signed with img's key.
func (img *testImage) withLayer(t *testing.T, layer []byte) *testImage {
	t.Helper()
	sink := &memSink{m: maps.Clone(img.chunks)}
	res, err := chunker.Chunk(context.Background(), bytes.NewReader(layer), sink, chunker.Options{ChunkSize: manifest.DefaultChunkSize, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := *img.m
	m.Name += "+host"
	m.Payloads = append(slices.Clone(m.Payloads), manifest.Payload{Role: "config", Kind: manifest.KindConfigTar, Size: res.Size, ChunkSize: manifest.DefaultChunkSize, Chunks: res.Chunks})
	signed, err := manifest.Sign(&m, img.priv)
	if err != nil {
		t.Fatal(err)
	}
	return &testImage{id: manifest.Digest(signed), pubPEM: img.pubPEM, signed: signed, chunks: sink.m, m: &m, priv: img.priv}
}

type memSink struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memSink) Has(_ context.Context, h manifest.Hash) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[h.String()]
	return ok, nil
}

func (s *memSink) Put(_ context.Context, h manifest.Hash, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[h.String()] = bytes.Clone(b)
	return nil
}

// makeDiskImage builds a 64 MiB GPT disk: an ESP (partition 1, FAT) and an
// ext4 root (partition 2, from a small tree) with sgdisk, mkfs.vfat and
// mke2fs -d, the way an image builder would.
func makeDiskImage(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"sgdisk", "mke2fs", "mkfs.vfat"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Skip(t, "%s is not installed (Debian packages gdisk, e2fsprogs, dosfstools): cannot build the test image", tool)
		}
	}
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	for p, c := range map[string]string{
		"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/shadow":     "root:*:19000:0:99999:7:::\n",
		"etc/fstab":      "LABEL=root / ext4 defaults 0 1\n",
	} {
		os.MkdirAll(filepath.Join(tree, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(tree, p), []byte(c), 0o644)
	}
	img := filepath.Join(dir, "disk.img")
	os.WriteFile(img, nil, 0o644)
	os.Truncate(img, 64<<20)
	mustRun(t, "sgdisk", "-n1:2048:+8M", "-t1:EF00", "-n2:0:0", "-t2:8300", img)
	// Partition 2 starts at sector 18432 (9 MiB).
	esp := filepath.Join(dir, "esp.img")
	mustRun(t, "mkfs.vfat", "-C", esp, "8192")
	mustRun(t, "dd", "if="+esp, "of="+img, "bs=1M", "seek=1", "conv=notrunc", "status=none")
	mustRun(t, "mke2fs", "-q", "-F", "-t", "ext4", "-L", "root", "-E", "offset="+itoa(9<<20), "-d", tree, img, itoa((64-9-1)<<10)+"k")
	return img
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// chunkImage turns a raw disk file into a signed image.
func chunkImage(t *testing.T, path, arch, firmware string) *testImage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sink := &memSink{m: map[string][]byte{}}
	res, err := chunker.Chunk(context.Background(), f, sink, chunker.Options{ChunkSize: manifest.DefaultChunkSize, Level: 1})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	m := &manifest.Manifest{
		Version: manifest.Version, Name: "test-debian", Arch: arch, Firmware: firmware,
		OS: manifest.OS{ID: "debian", Version: "12"}, Created: time.Unix(1700000000, 0).UTC(),
		Payloads: []manifest.Payload{{Role: "disk", Kind: manifest.KindRawDisk, Size: res.Size, ChunkSize: manifest.DefaultChunkSize, Chunks: res.Chunks}},
	}
	signed, err := manifest.Sign(m, priv)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := manifest.MarshalPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return &testImage{id: manifest.Digest(signed), pubPEM: string(pem), signed: signed, chunks: sink.m, m: m, priv: priv}
}

// fakeServer plays the Ingot server's installer endpoints and records what
// the installer sends.
type fakeServer struct {
	t     *testing.T
	img   *testImage
	plan  plan.Plan
	token string

	mu           sync.Mutex
	discoveries  []plan.Discovery
	discoveredAt time.Time // when the first discovery arrived
	inventory    *plan.Inventory
	signals      []sigRecord
	reply        plan.DiscoveryReply
}

type sigRecord struct {
	Name string          `json:"name"`
	Data json.RawMessage `json:"data"`
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := r.URL.Path
	authed := r.Header.Get("Authorization") == "Bearer "+s.token
	switch {
	case p == "/v1/discovery" && r.Method == http.MethodPost:
		var d plan.Discovery
		json.NewDecoder(r.Body).Decode(&d)
		s.discoveries = append(s.discoveries, d)
		if s.discoveredAt.IsZero() {
			s.discoveredAt = time.Now()
		}
		json.NewEncoder(w).Encode(s.reply)
	case !authed:
		http.Error(w, "bad token", http.StatusForbidden)
	case p == "/v1/installer/plan":
		json.NewEncoder(w).Encode(s.plan)
	case p == "/v1/installer/inventory":
		var inv plan.Inventory
		json.NewDecoder(r.Body).Decode(&inv)
		s.inventory = &inv
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(p, "/v1/deployments/"+string(s.plan.Deployment)+"/signals"):
		var sig sigRecord
		json.NewDecoder(r.Body).Decode(&sig)
		s.signals = append(s.signals, sig)
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(p, "/v1/images/") && strings.HasSuffix(p, "/manifest"):
		w.Write(s.img.signed)
	case strings.HasPrefix(p, "/v1/chunks/"):
		b, ok := s.img.chunks[strings.TrimPrefix(p, "/v1/chunks/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func (s *fakeServer) signalNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n []string
	for _, sig := range s.signals {
		n = append(n, sig.Name)
	}
	return n
}

// signalData is the data of the last signal with this name, as JSON.
func (s *fakeServer) signalData(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.signals) - 1; i >= 0; i-- {
		if s.signals[i].Name == name {
			return string(s.signals[i].Data)
		}
	}
	return ""
}
