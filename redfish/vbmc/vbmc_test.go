package vbmc

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/redfish"
)

const password = "lab-Pa55word"

// startQEMU starts a VM that is powered off (-S), with a CD drive, a NIC
// and a disk that carry qdev ids, and returns its QMP socket.
func startQEMU(t *testing.T) (socket, iso string) {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		skipOrFail(t, "qemu-system-x86_64 not installed")
	}
	dir := t.TempDir()
	socket = filepath.Join(dir, "qmp.sock")
	disk := filepath.Join(dir, "disk.img")
	iso = filepath.Join(dir, "installer.iso")
	for _, f := range []string{disk, iso} {
		if err := os.WriteFile(f, make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-m", "128", "-nographic", "-nodefaults",
		"-S", "-no-shutdown", "-qmp", "unix:"+socket+",server=on,wait=off",
		"-drive", "if=none,id=cd0,media=cdrom,readonly=on", "-device", "ide-cd,drive=cd0,id=cdrom0",
		"-drive", "if=none,id=d0,format=raw,file="+disk, "-device", "ide-hd,drive=d0,id=disk0",
		"-netdev", "user,id=n0", "-device", "e1000,netdev=n0,id=net0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("qemu stderr: %s", stderr.String())
		}
	})
	for range 100 {
		if c, err := net.Dial("unix", socket); err == nil {
			c.Close()
			return socket, iso
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no QMP socket: %s", stderr.String())
	return "", ""
}

func status(t *testing.T, q *qmp) string {
	t.Helper()
	var st struct{ Status string }
	if err := q.run(t.Context(), "query-status", nil, &st); err != nil {
		t.Fatal(err)
	}
	return st.Status
}

func cdFile(t *testing.T, q *qmp) string {
	t.Helper()
	var devs []struct {
		Device   string
		Qdev     string
		Inserted *struct{ File string }
	}
	if err := q.run(t.Context(), "query-block", nil, &devs); err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.Device == "cd0" {
			if d.Inserted == nil {
				return ""
			}
			return d.Inserted.File
		}
	}
	t.Fatal("no cd0 in query-block")
	return ""
}

func bootindex(t *testing.T, q *qmp, dev string) int {
	t.Helper()
	var n int
	if err := q.run(t.Context(), "qom-get", map[string]any{"path": "/machine/peripheral/" + dev, "property": "bootindex"}, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func startVBMC(t *testing.T) (*httptest.Server, *qmp, string, *bytes.Buffer) {
	socket, iso := startQEMU(t)
	var log bytes.Buffer
	h, err := New(Config{QMPSocket: socket, Password: password, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &qmp{socket: socket}, iso, &log
}

func TestVBMCDrivesQEMU(t *testing.T) {
	srv, q, iso, log := startVBMC(t)
	ctx := t.Context()
	c, err := redfish.Connect(ctx, redfish.Config{Endpoint: srv.URL, Username: "admin", Password: password,
		PollInterval: 100 * time.Millisecond, GracefulTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := c.PowerState(ctx); err != nil || s != redfish.PowerOff {
		t.Fatalf("fresh VM: %s, %v; want Off", s, err)
	}
	if err := c.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	if got := status(t, q); got != "running" {
		t.Fatalf("after power on qemu is %q", got)
	}

	if err := c.InsertMedia(ctx, iso); err != nil {
		t.Fatal(err)
	}
	if got := cdFile(t, q); got != iso {
		t.Fatalf("query-block shows %q in the CD, want %q", got, iso)
	}
	if err := c.SetBootOverride(ctx, redfish.BootOverride{Target: redfish.BootCd}); err != nil {
		t.Fatal(err)
	}
	if err := c.PowerCycle(ctx, false); err != nil { // ForceRestart
		t.Fatal(err)
	}
	// The firmware took the CD-first order at the reset; the default order
	// is back at once, so that the guest's own reboot boots the disk.
	if cd, hd := bootindex(t, q, "cdrom0"), bootindex(t, q, "disk0"); hd != 0 || cd == 0 {
		t.Errorf("after the one-time reset bootindex cdrom0=%d disk0=%d, want the default order back (disk first)", cd, hd)
	}
	if got := status(t, q); got != "running" {
		t.Errorf("after reset qemu is %q", got)
	}

	if err := c.PowerOff(ctx, true); err != nil { // the guest ignores ACPI: forced after 1s
		t.Fatal(err)
	}
	if got := status(t, q); got != "paused" {
		t.Errorf("after power off qemu is %q, want paused", got)
	}
	if err := c.EjectMedia(ctx); err != nil {
		t.Fatal(err)
	}
	if got := cdFile(t, q); got != "" {
		t.Errorf("CD still holds %q", got)
	}
	if err := c.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	if got := bootindex(t, q, "disk0"); got != 0 {
		t.Errorf("one-time override not undone: disk0 bootindex %d", got)
	}
	if strings.Contains(log.String(), password) {
		t.Error("log holds the password")
	}
}

// TestVBMCDownloadsMedia: an http image is fetched (as a BMC does) into
// MediaDir, attached, and deleted when ejected.
func TestVBMCDownloadsMedia(t *testing.T) {
	socket, _ := startQEMU(t)
	dir := t.TempDir()
	h, err := New(Config{QMPSocket: socket, Password: password, MediaDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	bmc := httptest.NewServer(h)
	defer bmc.Close()
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/media/s3cret/ingot.iso" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(make([]byte, 1<<20))
	}))
	defer files.Close()
	ctx := t.Context()
	c, err := redfish.Connect(ctx, redfish.Config{Endpoint: bmc.URL, Username: "admin", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	q := &qmp{socket: socket}
	if err := c.InsertMedia(ctx, files.URL+"/media/s3cret/ingot.iso"); err != nil {
		t.Fatal(err)
	}
	got := cdFile(t, q)
	if fi, err := os.Stat(got); err != nil || filepath.Dir(got) != dir || fi.Size() != 1<<20 {
		t.Fatalf("the CD holds %q (%v), want the 1 MiB download in %s", got, err, dir)
	}
	err = c.InsertMedia(ctx, files.URL+"/media/gone/ingot.iso")
	if err == nil || strings.Contains(err.Error(), "gone") {
		t.Errorf("insert of a 404 URL: %v; want an error without the URL's path", err)
	}
	if err := c.EjectMedia(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("downloads left after eject: %v", left)
	}
}

// TestRedfishtool checks vbmc with an independent client (Debian's
// redfishtool).
func TestRedfishtool(t *testing.T) {
	if _, err := exec.LookPath("redfishtool"); err != nil {
		skipOrFail(t, "redfishtool not installed (apt-get install redfishtool)")
	}
	srv, q, _, _ := startVBMC(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	tool := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		base := []string{"-r", host, "-S", "Never", "-u", "admin", "-p", password}
		out, err := exec.CommandContext(ctx, "redfishtool", append(base, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redfishtool %v: %v\n%s", args, err, out)
		}
		return out
	}
	var sys struct{ PowerState, SerialNumber string }
	if err := json.Unmarshal(tool("Systems", "get"), &sys); err != nil || sys.PowerState != "Off" || sys.SerialNumber != "VBMC0001" {
		t.Fatalf("Systems get: %+v, %v", sys, err)
	}
	tool("Systems", "reset", "On")
	if got := status(t, q); got != "running" {
		t.Errorf("after redfishtool reset On qemu is %q", got)
	}
	tool("Systems", "reset", "ForceOff")
	if got := status(t, q); got != "paused" {
		t.Errorf("after redfishtool reset ForceOff qemu is %q", got)
	}
	tool("-A", "Session", "Systems", "get")
}

// skipOrFail skips where the machine lacks a tool, but fails in CI, whose
// machines have it (redfish/ imports no other Ingot package, so this is
// not internal/testenv).
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (CI machines must have it: see scripts/install-deps)")
	}
	t.Skip(why)
}
