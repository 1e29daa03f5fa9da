package hostconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"ingot.dev/ingot/installer/plan"
)

// Write renders c and writes it into the installed system mounted at root,
// and sets root's password hash in /etc/shadow when c has one.
func Write(root string, c plan.HostConfig, o Options) error {
	files, err := Render(c, o)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := writeFile(root, f); err != nil {
			return err
		}
	}
	if c.PasswordHash == "" {
		return nil
	}
	p := filepath.Join(root, "etc/shadow")
	old, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("reading the image's /etc/shadow: %w", err)
	}
	return os.WriteFile(p, SetPassword(old, "root", c.PasswordHash), 0o640)
}

func writeFile(root string, f File) error {
	p := filepath.Join(root, f.Path)
	dirMode := os.FileMode(0o755)
	if strings.HasPrefix(f.Path, "/root/.ssh/") {
		dirMode = 0o700
	}
	if err := os.MkdirAll(filepath.Dir(p), dirMode); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", f.Path, err)
	}
	if f.Link != "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replacing %s: %w", f.Path, err)
		}
		if err := os.Symlink(f.Link, p); err != nil {
			return fmt.Errorf("linking %s: %w", f.Path, err)
		}
		return nil
	}
	data := f.Data
	if f.Src != "" {
		b, err := os.ReadFile(f.Src)
		if err != nil {
			return fmt.Errorf("reading %s for %s: %w", f.Src, f.Path, err)
		}
		data = b
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replacing %s: %w", f.Path, err)
	}
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.Mode)
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		w.Close()
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if err := w.Chmod(f.Mode); err != nil {
		w.Close()
		return fmt.Errorf("setting the mode of %s: %w", f.Path, err)
	}
	return w.Close()
}

// SetPassword returns shadow with user's password hash replaced (and its
// "last changed" day kept), adding the user's line when it is missing.
func SetPassword(shadow []byte, user, hash string) []byte {
	lines := strings.Split(strings.TrimSuffix(string(shadow), "\n"), "\n")
	found := false
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) >= 2 && f[0] == user {
			f[1] = hash
			lines[i] = strings.Join(f, ":")
			found = true
		}
	}
	if !found {
		lines = append(lines, user+":"+hash+":19000:0:99999:7:::")
	}
	if len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}
