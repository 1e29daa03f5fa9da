package kit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/plan"
)

// testKit writes a one-host kit tree into a temp dir: a real signed image
// manifest with one zstd chunk, a plan, and the signed kit manifest.
type testKit struct {
	dir       string
	m         *Manifest
	serverKey ed25519.PrivateKey
	kitKey    ed25519.PrivateKey
	chunk     string // path of the chunk
}

func newTestKit(t *testing.T) testKit {
	t.Helper()
	dir := t.TempDir()
	_, imgKey, _ := ed25519.GenerateKey(rand.Reader)
	_, serverKey, _ := ed25519.GenerateKey(rand.Reader)
	kitPub, kitKey, _ := ed25519.GenerateKey(rand.Reader)
	rpub, _, _ := NewReportKey(rand.Reader)
	data := bytes.Repeat([]byte("ingot"), 1000)
	enc, _ := zstd.NewWriter(nil)
	frame := enc.EncodeAll(data, nil)
	h := manifest.Sum(data)
	im := &manifest.Manifest{Version: 1, Name: "t", Arch: "amd64", Firmware: "uefi", Created: time.Unix(1, 0).UTC(),
		Payloads: []manifest.Payload{{Role: "disk", Kind: manifest.KindRawDisk, Size: int64(len(data)), ChunkSize: manifest.DefaultChunkSize,
			Chunks: []manifest.Chunk{{Index: 0, Hash: h, CompressedSize: int64(len(frame))}}}}}
	signed, err := manifest.Sign(im, imgKey)
	if err != nil {
		t.Fatal(err)
	}
	id := manifest.Digest(signed)
	pem, _ := manifest.MarshalPublicKey(imgKey.Public().(ed25519.PublicKey))
	p := plan.Plan{Deployment: "dep_1", Host: "web-1", Image: plan.ImageSource{ID: id, PublicKey: string(pem)}, Layout: plan.Layout{Preset: "single"}}
	pj, _ := json.Marshal(p)
	m := Manifest{Format: Format, ID: "kit_1", Created: time.Unix(2, 0).UTC(), KitKey: kitPub, ReportKey: rpub[:],
		Hosts: []Host{{Name: "web-1", Deployment: "dep_1", Hostgroup: "g", MACs: []string{"52:54:00:00:00:01"}, Serial: "SER1", UUID: "u-1", Plan: PlanPath("web-1"), Image: id}}}
	for path, b := range map[string][]byte{PlanPath("web-1"): pj, ManifestPath(id): signed, ChunkPath(h.String()): frame} {
		full := filepath.Join(dir, path)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		m.Files = append(m.Files, File{Path: path, Size: int64(len(b)), SHA256: hex.EncodeToString(s[:])})
	}
	return testKit{dir: dir, m: &m, serverKey: serverKey, kitKey: kitKey, chunk: ChunkPath(h.String())}
}

func TestSignVerify(t *testing.T) {
	k := newTestKit(t)
	data, sig, err := Sign(*k.m, k.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(data, sig, k.serverKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(k.m, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := Verify(data, sig, other); !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "ingot.kitkey") {
		t.Errorf("another server's key: %v", err)
	}
	data[10] ^= 1
	if _, err := Verify(data, sig, k.serverKey.Public().(ed25519.PublicKey)); !errors.Is(err, ErrSignature) {
		t.Errorf("a changed byte: %v", err)
	}
}

func TestLoadRefusesTamperedFiles(t *testing.T) {
	for _, name := range []string{"plan", "chunk"} {
		t.Run(name, func(t *testing.T) {
			k := newTestKit(t)
			h := k.m.Hosts[0]
			if _, _, err := k.m.Load(os.DirFS(k.dir), h, nil); err != nil {
				t.Fatalf("untouched kit: %v", err)
			}
			file := map[string]string{"plan": h.Plan, "chunk": k.chunk}[name]
			flipByte(t, filepath.Join(k.dir, file))
			_, _, err := k.m.Load(os.DirFS(k.dir), h, nil)
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "kit file "+file) || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("tampered %s: %v", file, err)
			}
		})
	}
}

func flipByte(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMatch(t *testing.T) {
	m := newTestKit(t).m
	for _, tc := range []struct {
		name string
		inv  plan.Inventory
		want string
	}{
		{"mac", plan.Inventory{NICs: []plan.NIC{{MAC: "52:54:00:00:00:09"}, {MAC: "52:54:00:00:00:01"}}}, "MAC 52:54:00:00:00:01"},
		{"serial", plan.Inventory{DMI: plan.DMI{Serial: "ser1 "}}, "serial SER1"},
		{"uuid", plan.Inventory{DMI: plan.DMI{UUID: "U-1"}}, "system UUID u-1"},
		{"none", plan.Inventory{NICs: []plan.NIC{{MAC: "52:54:00:00:00:09"}}, DMI: plan.DMI{Serial: "X"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, why, ok := m.Match(tc.inv)
			if why != tc.want || ok != (tc.want != "") {
				t.Errorf("Match = %q %v, want %q", why, ok, tc.want)
			}
		})
	}
}

func TestReportSignAndSeal(t *testing.T) {
	kitPub, kitKey, _ := ed25519.GenerateKey(rand.Reader)
	rpub, rpriv, _ := NewReportKey(rand.Reader)
	sealed, err := Seal(rpub[:], []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("correct horse")) {
		t.Fatal("sealed key holds the plaintext")
	}
	r := Report{Kit: "kit_1", Deployment: "dep_1", Host: "web-1", Result: ResultSucceeded,
		Signals: []api.Signal{{Name: "installer.done"}}, RecoveryKeys: []SealedKey{{Volume: "root", Sealed: sealed}}}
	e, err := SignReport(r, kitKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenReport(e, kitPub)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Open(rpub, rpriv, got.RecoveryKeys[0].Sealed)
	if err != nil || string(plain) != "correct horse" {
		t.Errorf("opened %q, %v", plain, err)
	}
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := OpenReport(e, otherPub); !errors.Is(err, ErrReportSignature) {
		t.Errorf("another kit's key: %v", err)
	}
	e.Report = bytes.Replace(e.Report, []byte("succeeded"), []byte("failed\x20\x20\x20"), 1)
	if _, err := OpenReport(e, kitPub); !errors.Is(err, ErrReportSignature) {
		t.Errorf("altered report: %v", err)
	}
}

// memDev is a device image in memory.
type memDev struct{ b []byte }

func (m *memDev) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, errors.New("EOF")
	}
	return copy(p, m.b[off:]), nil
}

func (m *memDev) WriteAt(p []byte, off int64) (int, error) { return copy(m.b[off:], p), nil }

func TestAreaPutAndReports(t *testing.T) {
	_, hdr, err := NewAreaHeader("kit_1", 4*SlotSize)
	if err != nil {
		t.Fatal(err)
	}
	dev := &memDev{b: make([]byte, 1<<20+4*SlotSize)}
	copy(dev.b[1<<20:], hdr)
	a, err := OpenArea(dev, 1<<20)
	if err != nil || a.Header.Slots != 3 || a.Header.Kit != "kit_1" {
		t.Fatalf("open: %+v %v", a, err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	put := func(dep, result string) int {
		e, _ := SignReport(Report{Kit: "kit_1", Deployment: api.DeploymentID(dep), Result: result}, key)
		slot, err := a.Put(dev, e, dep)
		if err != nil {
			t.Fatal(err)
		}
		return slot
	}
	got := []int{put("dep_1", "failed"), put("dep_2", "succeeded"), put("dep_1", "succeeded"), put("dep_3", "succeeded")}
	if diff := cmp.Diff([]int{0, 1, 0, 2}, got); diff != "" {
		t.Errorf("slots (-want +got):\n%s", diff)
	}
	if _, err := a.Put(dev, Envelope{Kit: "kit_1", Report: []byte(`{"deployment":"dep_4"}`)}, "dep_4"); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("a full area: %v", err)
	}
	es, err := a.Reports()
	if err != nil || len(es) != 3 || !bytes.Contains(es[0].Report, []byte(`"succeeded"`)) {
		t.Fatalf("reports: %d, %v", len(es), err)
	}
	dev.b[1<<20+SlotSize+100] ^= 1 // a torn write in slot 0
	if _, err := a.Reports(); err == nil || !strings.Contains(err.Error(), "slot 0: checksum") {
		t.Errorf("torn slot: %v", err)
	}
}
