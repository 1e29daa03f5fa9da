package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
