package main

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// wantModules are the drivers the installer loads on every machine: virtio,
// storage controllers, USB, common NICs, filesystems, device-mapper, md, and
// the crypto dm-crypt needs. Names missing from a kernel (built in, or not
// built) are skipped.
var wantModules = []string{
	"virtio_pci", "virtio_net", "virtio_blk", "virtio_scsi", "virtio_rng",
	"nvme", "ahci", "ata_piix", "sd_mod", "sr_mod",
	"xhci_pci", "ehci_pci", "usb_storage", "uas",
	"e1000", "e1000e", "igb", "ixgbe", "i40e", "tg3", "r8169",
	"dm_mod", "dm_crypt", "md_mod", "raid1",
	"efivarfs", "isofs", "vfat", "nls_cp437", "nls_ascii", "nls_iso8859_1", "nls_utf8",
	// crc32c before ext4/xfs: libcrc32c asks the crypto API for it at load
	// time, a soft dependency modules.dep does not record.
	"squashfs", "loop", "crc32c_generic", "crc32c_intel", "ext4", "xfs",
	"ecb", "cbc", "xts", "aesni_intel",
	"sha256_ssse3", "tpm_tis", "tpm_crb",
}

// depTable maps a module name (dashes as underscores) to its path and its
// dependencies' paths, as modules.dep lists them (relative to the modules
// directory).
type depTable map[string]modDeps

type modDeps struct {
	Path string
	Deps []string
}

func modName(p string) string {
	n := path.Base(p)
	n = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, ".xz"), ".zst"), ".ko")
	return strings.ReplaceAll(n, "-", "_")
}

func parseModulesDep(r io.Reader) (depTable, error) {
	t := depTable{}
	s := bufio.NewScanner(r)
	for s.Scan() {
		mod, deps, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		t[modName(mod)] = modDeps{Path: mod, Deps: strings.Fields(deps)}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading modules.dep: %w", err)
	}
	return t, nil
}

// resolve returns the module files to load for names, every dependency
// before the modules that need it, each once. Names neither in the table nor
// in builtin are returned as missing.
func (t depTable) resolve(names []string, builtin map[string]bool) (order, missing []string) {
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		// modules.dep lists all transitive dependencies, the deepest last.
		deps := t[modName(p)].Deps
		for i := len(deps) - 1; i >= 0; i-- {
			visit(deps[i])
		}
		order = append(order, p)
	}
	for _, n := range names {
		n = strings.ReplaceAll(n, "-", "_")
		d, ok := t[n]
		switch {
		case ok:
			visit(d.Path)
		case !builtin[n]:
			missing = append(missing, n)
		}
	}
	return order, missing
}

func parseBuiltin(r io.Reader) (map[string]bool, error) {
	b := map[string]bool{}
	s := bufio.NewScanner(r)
	for s.Scan() {
		if l := strings.TrimSpace(s.Text()); l != "" {
			b[modName(l)] = true
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading modules.builtin: %w", err)
	}
	return b, nil
}
