package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/media"
)

func runMedia(t *testing.T, server string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	app := &App{Out: &out, Err: &errb, Server: server}
	cmd := newMediaCommand(app)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestMediaBuildRefusesBadFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.iso")
	for _, tc := range []struct {
		name, server string
		args         []string
		want         string
	}{
		{"neither", "http://10.0.0.1:7480", []string{"build", "-O", out}, "either --generic"},
		{"both", "http://10.0.0.1:7480", []string{"build", "--generic", "--deployment", "d", "-O", out}, "either --generic"},
		{"no out", "http://10.0.0.1:7480", []string{"build", "--generic"}, "-O FILE"},
		{"loopback", "http://127.0.0.1:7480", []string{"build", "--generic", "-O", out}, "loopback"},
		{"localhost", "http://localhost:7480", []string{"build", "--generic", "-O", out}, "loopback"},
		{"host and generic", "http://10.0.0.1:7480", []string{"build", "--generic", "--host", "h", "-O", out}, "either --generic"},
		{"gw without ip", "http://10.0.0.1:7480", []string{"build", "--generic", "--gw", "10.0.0.1", "-O", out}, "need --ip"},
		{"bad ip", "http://10.0.0.1:7480", []string{"build", "--generic", "--ip", "10.0.0.5", "-O", out}, "ADDRESS/PREFIX"},
		{"gw elsewhere", "http://10.0.0.1:7480", []string{"build", "--generic", "--ip", "10.0.0.5/24", "--gw", "10.1.0.1", "-O", out}, "not inside"},
		{"host without server", "http://127.0.0.1:1", []string{"build", "--host", "h", "-O", out}, "media build --host h"},
		{"no installer", "http://10.0.0.1:7480", []string{"build", "--generic", "-O", out, "--installer", t.TempDir()}, "make installer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runMedia(t, tc.server, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestMediaWrite(t *testing.T) {
	dir := t.TempDir()
	img, target := filepath.Join(dir, "img"), filepath.Join(dir, "stick")
	if err := os.WriteFile(img, []byte("hybrid image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runMedia(t, "", "write", img, target); !errors.Is(err, media.ErrNotDevice) {
		t.Fatalf("write to a file without --force: %v, want ErrNotDevice", err)
	}
	out, err := runMedia(t, "", "write", "--force", img, target)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "hybrid image" || !strings.Contains(out, "wrote") {
		t.Fatalf("target holds %q, output %q", got, out)
	}
}
