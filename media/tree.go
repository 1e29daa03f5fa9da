package media

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// GrubConfig is the grub.cfg of an image that boots /ingot/vmlinuz with
// args. GRUB talks on both the serial port and the screen; each argument is
// single-quoted so that GRUB does not expand $ or split on ;.
func GrubConfig(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + a + "'"
	}
	return `serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=3
set default=0

menuentry "Ingot installer" {
	linux /ingot/` + KernelFile + ` ` + strings.Join(q, " ") + `
	initrd /ingot/` + InitrdFile + `
}
`
}

// populate lays out the image's files under root.
func populate(root, installerDir, grubCfg string) error {
	for _, d := range []string{"boot/grub", "ingot"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("media: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "boot/grub/grub.cfg"), []byte(grubCfg), 0o644); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	for _, f := range []string{KernelFile, InitrdFile} {
		if err := copyFile(filepath.Join(root, "ingot", f), filepath.Join(installerDir, f)); err != nil {
			return fmt.Errorf("media: installer %s (run `make installer`?): %w", f, err)
		}
	}
	return nil
}

func copyFile(dst, src string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
