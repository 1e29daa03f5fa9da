package hostmedia

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/media"
)

// fakeStore holds one host and its deployment.
type fakeStore struct {
	mu sync.Mutex
	h  api.Host
	d  api.Deployment
}

func (f *fakeStore) GetHost(_ context.Context, name string) (api.Host, error) {
	if name != f.h.Name {
		return api.Host{}, errors.New("not found")
	}
	return f.h, nil
}

func (f *fakeStore) GetDeployment(_ context.Context, id api.DeploymentID) (api.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id != f.d.ID {
		return api.Deployment{}, errors.New("not found")
	}
	return f.d, nil
}

func (f *fakeStore) ActiveDeployment(ctx context.Context, host string) (api.Deployment, error) {
	d, _ := f.GetDeployment(ctx, f.d.ID)
	if host != f.h.Name || d.State.Terminal() {
		return api.Deployment{}, errors.New("not found")
	}
	return d, nil
}

func (f *fakeStore) setWait(s api.StepStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.d.Steps = []api.Step{{Name: "bmc-media", Status: api.StepSucceeded}, {Name: "wait-installer", Status: s}}
}

const secret = "inst_s3cr3t-token"

type fixture struct {
	svc   *Service
	st    *fakeStore
	now   time.Time
	log   *bytes.Buffer
	built []media.Config
}

func newFixture(t *testing.T, build func(context.Context, media.Config, media.Host) error) *fixture {
	mac, _ := api.ParseMAC("52:54:00:12:34:56")
	f := &fixture{now: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), log: &bytes.Buffer{}, st: &fakeStore{
		h: api.Host{Name: "web-1", MACs: []api.MAC{mac}, Values: api.HostValues{Addresses: []api.StaticAddress{
			{Interface: "eth9", Address: netip.MustParsePrefix("10.1.0.5/24")},
			{Address: netip.MustParsePrefix("10.0.0.5/24"), Gateway: netip.MustParseAddr("10.0.0.1")}}}},
		d: api.Deployment{ID: "dep_1", Host: "web-1", State: api.DeploymentRunning}}}
	f.st.setWait(api.StepPending)
	if build == nil {
		build = func(_ context.Context, c media.Config, h media.Host) error {
			f.built = append(f.built, c)
			return os.WriteFile(c.Out, []byte(strings.Repeat("ISO9660 ", 1<<12)), 0o600)
		}
	}
	var err error
	f.svc, err = New(Config{Store: f.st, Secret: func(api.DeploymentID) string { return secret }, Dir: filepath.Join(t.TempDir(), "media"),
		PublicURL: "http://10.0.0.1:7480", Build: build, Now: func() time.Time { return f.now },
		Log: slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// get requests path from the client address with an optional Range.
func (f *fixture) get(method, path, client, rng string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = client + ":40000"
	if rng != "" {
		r.Header.Set("Range", rng)
	}
	w := httptest.NewRecorder()
	f.svc.ServeHTTP(w, r)
	return w
}

func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, detail string) {
	t.Helper()
	var p struct {
		Status int
		Detail string
	}
	if w.Code != status || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d %s, want %d problem+json: %s", w.Code, w.Header().Get("Content-Type"), status, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != status || !strings.Contains(p.Detail, detail) {
		t.Fatalf("problem %s (%v), want status %d and a detail containing %q", w.Body, err, status, detail)
	}
}

// TestOneTimeURL: the first client may HEAD, GET and read ranges as often
// as it needs; another client is refused with 410.
func TestOneTimeURL(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.MintForHost(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tk.URL, "http://10.0.0.1:7480/media/") || !strings.HasSuffix(tk.Path, "/ingot.iso") || len(tk.Path) < 60 {
		t.Fatalf("ticket %+v: want a long random path under the public URL", tk)
	}
	if w := f.get("HEAD", tk.Path, "10.0.0.9", ""); w.Code != 200 || w.Header().Get("Content-Length") != "32768" || w.Header().Get("Accept-Ranges") != "bytes" {
		t.Fatalf("HEAD: %d %v", w.Code, w.Header())
	}
	for range 3 {
		if w := f.get("GET", tk.Path, "10.0.0.9", "bytes=8-15"); w.Code != http.StatusPartialContent || w.Body.String() != "ISO9660 " {
			t.Fatalf("Range GET: %d %q", w.Code, w.Body)
		}
	}
	if w := f.get("GET", tk.Path, "10.0.0.9", ""); w.Code != 200 || w.Body.Len() != 32768 {
		t.Fatalf("GET: %d, %d bytes", w.Code, w.Body.Len())
	}
	wantProblem(t, f.get("GET", tk.Path, "10.0.0.66", ""), http.StatusGone, "already used by another client")
	wantProblem(t, f.get("GET", "/media/AAAA/ingot.iso", "10.0.0.9", ""), http.StatusNotFound, "no such medium")
	wantProblem(t, f.get("PUT", tk.Path, "10.0.0.9", ""), http.StatusMethodNotAllowed, "GET")
	if len(f.built) != 1 {
		t.Fatalf("%d builds, want 1", len(f.built))
	}
	// A second URL reuses the ISO and binds to its own client.
	tk2, err := f.svc.MintForHost(context.Background(), "web-1")
	if err != nil || tk2.Path == tk.Path || len(f.built) != 1 {
		t.Fatalf("second mint: %+v %v, %d builds", tk2, err, len(f.built))
	}
	if w := f.get("GET", tk2.Path, "10.0.0.66", "bytes=0-6"); w.Code != http.StatusPartialContent {
		t.Fatalf("second URL from another client: %d", w.Code)
	}
	if strings.Contains(f.log.String(), secret) || strings.Contains(f.log.String(), strings.Split(tk.Path, "/")[2]) {
		t.Errorf("the log holds the token or the URL's secret:\n%s", f.log)
	}
}

// TestImageConfig: the ISO carries the server, the host's boot-NIC static
// address and its first MAC.
func TestImageConfig(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.svc.MintForHost(context.Background(), "web-1"); err != nil {
		t.Fatal(err)
	}
	c := f.built[0]
	if c.ServerURL != "http://10.0.0.1:7480" || c.Static == nil || c.Static.Addr.String() != "10.0.0.5/24" ||
		c.Static.Gateway.String() != "10.0.0.1" || c.Iface != "52:54:00:12:34:56" {
		t.Fatalf("image config %+v %+v", c, c.Static)
	}
}

func TestURLExpires(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.MintForHost(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if w := f.get("GET", tk.Path, "10.0.0.9", "bytes=0-0"); w.Code != http.StatusPartialContent {
		t.Fatalf("before expiry: %d", w.Code)
	}
	f.now = f.now.Add(DefaultTTL + time.Second)
	wantProblem(t, f.get("GET", tk.Path, "10.0.0.9", ""), http.StatusGone, "expired")
	wantProblem(t, f.get("GET", tk.Path, "10.0.0.9", ""), http.StatusNotFound, "no such medium")
}

// TestURLEndsWithTheInstallerPhase: once the installer has reported, the
// URL is void and the ISO deleted; no new URL is minted.
func TestURLEndsWithTheInstallerPhase(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.MintForHost(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	f.st.setWait(api.StepWaiting)
	f.now = f.now.Add(time.Minute)
	if w := f.get("GET", tk.Path, "10.0.0.9", "bytes=0-0"); w.Code != http.StatusPartialContent {
		t.Fatalf("installer running: %d", w.Code)
	}
	f.st.setWait(api.StepSucceeded)
	f.now = f.now.Add(time.Minute)
	wantProblem(t, f.get("GET", tk.Path, "10.0.0.9", "bytes=0-0"), http.StatusGone, "no longer waits")
	if isos, _ := filepath.Glob(filepath.Join(f.svc.cfg.Dir, "*.iso")); len(isos) != 0 {
		t.Errorf("ISOs left: %v", isos)
	}
	if _, err := f.svc.MintForHost(context.Background(), "web-1"); !errors.Is(err, ErrNotWaiting) {
		t.Fatalf("mint after the installer: %v, want ErrNotWaiting", err)
	}
}

func TestRevoke(t *testing.T) {
	f := newFixture(t, nil)
	tk, err := f.svc.MintForHost(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	f.svc.Revoke("dep_1")
	wantProblem(t, f.get("GET", tk.Path, "10.0.0.9", ""), http.StatusNotFound, "no such medium")
	if isos, _ := filepath.Glob(filepath.Join(f.svc.cfg.Dir, "*.iso")); len(isos) != 0 {
		t.Errorf("ISOs left: %v", isos)
	}
}

// TestRealServer fetches over a loopback server from two client addresses.
func TestRealServer(t *testing.T) {
	f := newFixture(t, nil)
	srv := httptest.NewServer(f.svc)
	defer srv.Close()
	tk, err := f.svc.MintForHost(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(local string) int {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		resp, err := c.Get(srv.URL + tk.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	if got := fetch("127.0.0.1"); got != 200 {
		t.Fatalf("first client: %d", got)
	}
	if got := fetch("127.0.0.2"); got != http.StatusGone {
		t.Fatalf("second client: %d, want 410", got)
	}
}

// TestRealImage builds the ISO with grub-mkrescue: its grub.cfg holds the
// installer token, the server's log does not.
func TestRealImage(t *testing.T) {
	for _, tool := range []string{"grub-mkrescue", "xorriso", "mformat"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Skip(t, "%s is not installed (scripts/install-deps)", tool)
		}
	}
	inst := t.TempDir()
	for _, n := range []string{media.KernelFile, media.InitrdFile} {
		if err := os.WriteFile(filepath.Join(inst, n), []byte("fake "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := newFixture(t, media.BuildHost)
	f.svc.cfg.InstallerDir = inst
	tk, err := f.svc.MintForHost(context.Background(), "web-1")
	if err != nil {
		t.Fatal(err)
	}
	w := f.get("GET", tk.Path, "10.0.0.9", "")
	if w.Code != 200 {
		t.Fatalf("GET: %d %s", w.Code, w.Body)
	}
	iso := filepath.Join(t.TempDir(), "got.iso")
	if err := os.WriteFile(iso, w.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "grub.cfg")
	if out, err := exec.Command("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/boot/grub/grub.cfg", cfg).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(cfg)
	for _, want := range []string{"'ingot.token=" + secret + "'", "'ingot.deployment=dep_1'", "'ingot.mode=install'", "'ingot.ip=10.0.0.5/24'", "'ingot.iface=52:54:00:12:34:56'"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("grub.cfg lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(f.log.String(), secret) {
		t.Errorf("the token is in the log:\n%s", f.log)
	}
}

// hostImages records the deployments given their host image, and fails
// when err is set.
type hostImages struct {
	deps []api.DeploymentID
	err  error
}

func (h *hostImages) ForDeployment(_ context.Context, d api.Deployment) (api.HostImage, error) {
	h.deps = append(h.deps, d.ID)
	return api.HostImage{ID: "sha256:host", Deployment: d.ID}, h.err
}

// TestMintMakesTheHostImage: the medium's deployment gets its host image
// before the ISO is built; when that fails, no ISO and no URL.
func TestMintMakesTheHostImage(t *testing.T) {
	f := newFixture(t, nil)
	hi := &hostImages{}
	f.svc.cfg.HostImages = hi
	if _, err := f.svc.MintForHost(context.Background(), "web-1"); err != nil {
		t.Fatal(err)
	}
	if len(hi.deps) != 1 || hi.deps[0] != "dep_1" {
		t.Fatalf("host images made for %v, want dep_1", hi.deps)
	}
	hi.err = errors.New("chunk store full")
	f.svc.Revoke("dep_1") // the next mint builds again
	if _, err := f.svc.MintForHost(context.Background(), "web-1"); err == nil || !strings.Contains(err.Error(), "chunk store full") {
		t.Fatalf("mint with the host image failing: %v", err)
	}
	if len(f.built) != 1 {
		t.Errorf("%d ISOs built, want only the first", len(f.built))
	}
}
