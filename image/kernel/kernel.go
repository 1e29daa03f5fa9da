// Package kernel finds the kernel and initrd a root tree boots, as both
// the image builder (to set up the boot loader) and the installer (to kexec
// into the installed system) need it.
package kernel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoKernel is returned for a tree without a kernel and initrd to boot.
var ErrNoKernel = errors.New("no kernel and initrd in the root tree")

// Kernel is the kernel an image boots and its initrd, as paths in the tree.
type Kernel struct {
	Version       string
	Image, Initrd string
}

// Find finds the newest kernel in tree: Debian's /boot/vmlinuz-V with
// /boot/initrd.img-V, or a bootable container's /usr/lib/modules/V/vmlinuz
// with initramfs.img next to it.
func Find(tree string) (Kernel, error) {
	var found []Kernel
	boots, _ := filepath.Glob(filepath.Join(tree, "boot", "vmlinuz-*"))
	for _, img := range boots {
		v := strings.TrimPrefix(filepath.Base(img), "vmlinuz-")
		found = append(found, Kernel{v, img, filepath.Join(tree, "boot", "initrd.img-"+v)})
	}
	mods, _ := filepath.Glob(filepath.Join(tree, "usr/lib/modules/*/vmlinuz"))
	for _, img := range mods {
		dir := filepath.Dir(img)
		found = append(found, Kernel{filepath.Base(dir), img, filepath.Join(dir, "initramfs.img")})
	}
	found = slices.DeleteFunc(found, func(k Kernel) bool {
		_, err := os.Stat(k.Initrd)
		return err != nil
	})
	if len(found) == 0 {
		return Kernel{}, fmt.Errorf("looked for /boot/vmlinuz-* with /boot/initrd.img-* and /usr/lib/modules/*/vmlinuz with initramfs.img: %w", ErrNoKernel)
	}
	slices.SortFunc(found, func(a, b Kernel) int { return compareVersions(a.Version, b.Version) })
	return found[len(found)-1], nil
}

// compareVersions orders kernel versions by their numeric fields.
func compareVersions(a, b string) int {
	fa, fb := versionFields(a), versionFields(b)
	for i := 0; i < len(fa) && i < len(fb); i++ {
		if fa[i] != fb[i] {
			if len(fa[i]) != len(fb[i]) && isDigits(fa[i]) && isDigits(fb[i]) {
				return len(fa[i]) - len(fb[i])
			}
			return strings.Compare(fa[i], fb[i])
		}
	}
	return len(fa) - len(fb)
}

func versionFields(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '-' || r == '_' })
}

func isDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}
