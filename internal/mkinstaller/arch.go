package main

import (
	"debug/elf"
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// target is what differs between the architectures the installer is built
// for.
type target struct {
	Arch     string      // Debian and Go name: amd64, arm64
	Triplet  string      // multiarch library directory: aarch64-linux-gnu
	Machine  elf.Machine // of the tools' ELF files
	Modules  []string    // loaded after wantModules
	Dlopened []string    // libraries loaded at run time, relative to /
}

var targets = map[string]target{
	"amd64": {Arch: "amd64", Triplet: "x86_64-linux-gnu", Machine: elf.EM_X86_64,
		Dlopened: []string{"lib/x86_64-linux-gnu/libgcc_s.so.1"}},
	"arm64": {Arch: "arm64", Triplet: "aarch64-linux-gnu", Machine: elf.EM_AARCH64,
		// virtio over MMIO (qemu virt, some clouds), the ARMv8 crypto
		// extensions dm-crypt uses when present, platform xHCI, and the
		// NIC most arm64 servers carry (Mellanox ConnectX).
		Modules: []string{"virtio_mmio", "aes_ce_blk", "aes_neon_blk", "sha2_ce", "sha256_arm64", "ghash_ce",
			"xhci_plat_hcd", "mlx5_core"},
		Dlopened: []string{"lib/aarch64-linux-gnu/libgcc_s.so.1"}},
}

// lookupTarget returns the target for a Debian architecture name.
func lookupTarget(arch string) (target, error) {
	t, ok := targets[arch]
	if !ok {
		names := make([]string, 0, len(targets))
		for n := range targets {
			names = append(names, n)
		}
		slices.Sort(names)
		return t, fmt.Errorf("unknown architecture %q: use one of %s", arch, strings.Join(names, ", "))
	}
	return t, nil
}

// native reports whether t is the build machine's architecture: its tools
// come from the host itself, not from downloaded packages.
func (t target) native() bool { return t.Arch == runtime.GOARCH }
