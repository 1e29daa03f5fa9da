package assemble

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// espSync is the hook that keeps the kernel and initrd GRUB boots from the
// ESP (every copy of it, on a mirror) the newest installed ones.
//
//go:embed espsync.sh
var espSync []byte

// ESPSyncPath is where the hook lives in the image; the kernel's postinst.d
// and postrm.d and initramfs-tools' post-update.d link to it.
const ESPSyncPath = "/usr/lib/ingot/esp-sync"

var espSyncLinks = []string{
	"/etc/kernel/postinst.d/zz-ingot-esp-sync",
	"/etc/kernel/postrm.d/zz-ingot-esp-sync",
	"/etc/initramfs/post-update.d/zz-ingot-esp-sync",
}

// writeESPSync installs the hook in a tree whose kernel is a Debian
// /boot/vmlinuz-V with kernel hook directories: without it, a kernel
// update in the installed system would land in /boot and never boot.
// Other trees (a bootable container's /usr/lib/modules kernels) are left
// as they are.
func writeESPSync(tree string, k Kernel) error {
	if !strings.HasPrefix(k.Image, filepath.Join(tree, "boot")+"/") {
		return nil
	}
	if _, err := os.Stat(filepath.Join(tree, "etc/kernel/postinst.d")); err != nil {
		return nil
	}
	p := filepath.Join(tree, ESPSyncPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("installing the ESP sync hook: %w", err)
	}
	if err := os.WriteFile(p, espSync, 0o755); err != nil {
		return fmt.Errorf("installing the ESP sync hook: %w", err)
	}
	for _, l := range espSyncLinks {
		lp := filepath.Join(tree, l)
		if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
			return fmt.Errorf("installing the ESP sync hook: %w", err)
		}
		os.Remove(lp)
		if err := os.Symlink(ESPSyncPath, lp); err != nil {
			return fmt.Errorf("installing the ESP sync hook: %w", err)
		}
	}
	return nil
}
