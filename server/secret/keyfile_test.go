package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateKeyCreatesOnceAndReuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.key")
	b1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", got)
	}
	if fi.Size() != KeySize {
		t.Errorf("key file size = %d, want %d", fi.Size(), KeySize)
	}
	before, _ := os.ReadFile(path)

	sealed, err := b1.Seal([]byte("kept"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("second LoadOrCreateKey rewrote the key file")
	}
	if pt, err := b2.Open(sealed, nil); err != nil || string(pt) != "kept" {
		t.Errorf("reloaded box Open = %q, %v; want \"kept\"", pt, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (temporary files left behind?)", len(entries))
	}
}

func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.key")
	const n = 8
	boxes := make([]*Box, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { boxes[i], errs[i] = LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(boxes[i].Derive("x"), boxes[0].Derive("x")) {
			t.Fatalf("caller %d got a different key", i)
		}
	}
}

var refusedKeyCases = []struct {
	name    string
	setup   func(t *testing.T, path string)
	wantErr string
}{
	{
		name:    "group readable",
		setup:   func(t *testing.T, path string) { writeKey(t, path, make([]byte, KeySize), 0o640) },
		wantErr: "run chmod 600",
	},
	{
		name:    "world readable",
		setup:   func(t *testing.T, path string) { writeKey(t, path, make([]byte, KeySize), 0o604) },
		wantErr: "mode 0604",
	},
	{
		name:    "too short",
		setup:   func(t *testing.T, path string) { writeKey(t, path, make([]byte, 16), 0o600) },
		wantErr: "is not 32 bytes",
	},
	{
		name:    "too long",
		setup:   func(t *testing.T, path string) { writeKey(t, path, make([]byte, 33), 0o600) },
		wantErr: "is not 32 bytes",
	},
	{
		name:    "directory",
		setup:   func(t *testing.T, path string) { os.Mkdir(path, 0o700) },
		wantErr: "not a regular file",
	},
	{
		name:    "missing directory",
		setup:   func(t *testing.T, path string) { os.Remove(filepath.Dir(path)) },
		wantErr: "no such file or directory",
	},
}

func TestLoadOrCreateKeyRefuses(t *testing.T) {
	for _, tt := range refusedKeyCases {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "server.key")
			tt.setup(t, path)
			before, _ := os.ReadFile(path)
			_, err := LoadOrCreateKey(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadOrCreateKey = %v, want error containing %q", err, tt.wantErr)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("refused key file was changed")
			}
		})
	}
}

func writeKey(t *testing.T, path string, key []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, key, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // beat the umask
		t.Fatal(err)
	}
}
