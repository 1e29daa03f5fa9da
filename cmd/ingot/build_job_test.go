package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/testenv"
)

// TestImageBuildOnServer runs `ingot image build RECIPE --follow` against
// a real `ingot serve`: the import backend builds a small raw disk into an
// image set, the log is printed live; a failing build exits non-zero.
func TestImageBuildOnServer(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	c := adminClient(t, p, data)
	token, _ := os.ReadFile(filepath.Join(data, "admin.token.txt"))
	t.Setenv("INGOT_SERVER", p.url)
	t.Setenv("INGOT_TOKEN", strings.TrimSpace(string(token)))
	disk := make([]byte, 8<<20)
	copy(disk, "a disk")
	mustOK(t, os.MkdirAll(filepath.Join(data, "imports"), 0o755))
	mustOK(t, os.WriteFile(filepath.Join(data, "imports", "disk.raw"), disk, 0o644))
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	mustOK(t, os.WriteFile(good, []byte("name: small\nbackend: import\nfile: disk.raw\nfirmware: uefi\n"), 0o644))
	mustOK(t, os.WriteFile(bad, []byte("name: small\nbackend: import\nfile: nothing.raw\n"), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut strings.Builder
	if err := run(ctx, []string{"image", "build", good, "--image-set", "lab", "--follow"}, nil, &out, &errOut); err != nil {
		t.Fatalf("image build: %v\n%s%s", err, errOut.String(), out.String())
	}
	for _, want := range []string{"phase publish", "registered image sha256:", "succeeded: image sha256:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	set, err := c.ImageSets().Get(ctx, "lab")
	if err != nil || len(set.Variants) != 1 || set.Variants[0].Key() != "amd64/uefi/sb=false" {
		t.Fatalf("image set lab: %+v, %v", set, err)
	}

	out.Reset()
	err = run(ctx, []string{"image", "build", bad, "--image-set", "lab", "--follow"}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "failed") || !strings.Contains(err.Error(), "nothing.raw") {
		t.Fatalf("failing build: %v, want an error naming the file\n%s", err, out.String())
	}

	out.Reset()
	mustOK(t, run(ctx, []string{"build", "list"}, nil, &out, &errOut))
	if got := strings.Count(out.String(), "\n"); got != 3 || !strings.Contains(out.String(), "succeeded") || !strings.Contains(out.String(), "failed") {
		t.Fatalf("build list:\n%s", out.String())
	}
	// A bad recipe is refused before anything is queued, naming the field.
	mustOK(t, os.WriteFile(bad, []byte("name: small\nbackend: import\nfile: disk.raw\nlayot: {}\n"), 0o644))
	err = run(ctx, []string{"image", "build", bad}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "body.recipe.layot") {
		t.Fatalf("bad recipe: %v, want the field named", err)
	}
}

// TestBuildInterruptedByCrash kills `ingot serve` with SIGKILL while a
// debootstrap build waits on a mirror that never answers; the next start
// fails the build with a clear reason and removes its work directory.
func TestBuildInterruptedByCrash(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "debootstrap builds need root (run the tests as root)")
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		testenv.Skip(t, "debootstrap is not installed (Debian package debootstrap)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and never answer: the build hangs in its backend
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	data := t.TempDir()
	p := startServer(t, data)
	c := adminClient(t, p, data)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recipe := `{"name":"hang","backend":"debootstrap","suite":"bookworm","mirror":"http://` + ln.Addr().String() + `/debian"}`
	b, err := c.SubmitBuild(ctx, api.BuildRequest{Recipe: api.RawJSON(recipe)})
	if err != nil {
		t.Fatal(err)
	}
	for b.Phase != api.PhaseBackend {
		if b.State.Terminal() || ctx.Err() != nil {
			t.Fatalf("build never reached its backend: %+v", b)
		}
		time.Sleep(50 * time.Millisecond)
		b = must1(c.Builds().Get(ctx, string(b.ID)))
	}
	if dirs, _ := filepath.Glob(filepath.Join(data, "builds", "build-*")); len(dirs) != 1 {
		t.Fatalf("work directories while running: %v", dirs)
	}

	p.kill(syscall.SIGKILL)
	p = startServer(t, data)
	c = adminClient(t, p, data)
	for !b.State.Terminal() {
		if ctx.Err() != nil {
			t.Fatalf("build after the restart: %+v", b)
		}
		time.Sleep(50 * time.Millisecond)
		b = must1(c.Builds().Get(ctx, string(b.ID)))
	}
	if b.State != api.BuildFailed || !strings.Contains(b.Error, "server restarted") {
		t.Fatalf("build after the restart: %+v", b)
	}
	if dirs, _ := filepath.Glob(filepath.Join(data, "builds", "build-*")); len(dirs) != 0 {
		t.Fatalf("work directories left after the restart: %v", dirs)
	}
}
