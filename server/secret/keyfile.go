package secret

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadOrCreateKey returns a Box keyed with the key in the file at path. If
// the file does not exist, it creates one holding 32 random bytes with mode
// 0600; creation is atomic, so concurrent callers end up with the same key.
// An existing key file that group or others may read, or that is not a
// regular file of exactly 32 bytes, is refused. The directory must exist.
func LoadOrCreateKey(path string) (*Box, error) {
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(path); err != nil {
			return nil, err
		}
		key, err = readKey(path)
	}
	if err != nil {
		return nil, err
	}
	return New(key)
}

func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading server key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading server key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("server key %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("server key %s has mode %04o, so group or others have access to it: "+
			"run chmod 600 %s (and consider the key exposed)", path, perm, path)
	}
	key, err := io.ReadAll(io.LimitReader(f, KeySize+1))
	if err != nil {
		return nil, fmt.Errorf("reading server key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("server key %s is not %d bytes: restore it from backup; "+
			"a new key cannot open data sealed with the old one", path, KeySize)
	}
	return key, nil
}

// createKey writes a new random key to a temporary file next to path and
// links it into place, which fails if path appeared in the meantime; that
// case is not an error, the caller reads whichever key won.
func createKey(path string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return fmt.Errorf("creating server key: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("creating server key: %w", err)
	}
	if err := writeSync(tmp, key); err != nil {
		return fmt.Errorf("creating server key %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating server key %s: %w", path, err)
	}
	return syncDir(dir)
}

func writeSync(f *os.File, b []byte) error {
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
