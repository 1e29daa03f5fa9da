package imagebuild

import (
	"fmt"
	"path"
	"slices"
	"sort"
)

// Layout presets (DESIGN.md: Layout).
const (
	PresetSingle    = "single"
	PresetMirror    = "mirror"
	PresetCIS       = "cis"
	PresetMirrorCIS = "mirror+cis"
)

// Encryption policies a layout may ask for.
const (
	EncryptNone    = "none"
	EncryptTang    = "tang"
	EncryptTPM2    = "tpm2"
	EncryptTangTPM = "tang+tpm2"
)

// CISMounts are the mount points the CIS benchmark wants on filesystems of
// their own, parents first.
var CISMounts = []string{"/home", "/tmp", "/var", "/var/log", "/var/log/audit", "/var/tmp"}

// Layout is the part of a hostgroup's storage spec that shapes the image:
// which mount points become filesystems of their own, and what the installed
// OS needs to assemble and unlock its storage.
type Layout struct {
	Preset     string  `json:"preset,omitempty"`     // single (default), mirror, cis, mirror+cis
	Encryption string  `json:"encryption,omitempty"` // none (default), tang, tpm2, tang+tpm2
	Split      []Mount `json:"split,omitempty"`      // default for cis presets: CISMounts
}

// Mount is a mount point on a filesystem of its own.
type Mount struct {
	Path string `json:"path"`
	Size Size   `json:"size,omitempty"` // 0: sized from the contents
}

// WithDefaults fills the preset, encryption and, for CIS presets, the split.
func (l Layout) WithDefaults() Layout {
	if l.Preset == "" {
		l.Preset = PresetSingle
	}
	if l.Encryption == "" {
		l.Encryption = EncryptNone
	}
	if len(l.Split) == 0 && (l.Preset == PresetCIS || l.Preset == PresetMirrorCIS) {
		for _, p := range CISMounts {
			l.Split = append(l.Split, Mount{Path: p})
		}
	}
	l.Split = slices.Clone(l.Split)
	sort.Slice(l.Split, func(i, j int) bool { return l.Split[i].Path < l.Split[j].Path })
	return l
}

// Validate checks preset, encryption and split mount points.
func (l Layout) Validate() error {
	switch l.Preset {
	case "", PresetSingle, PresetMirror, PresetCIS, PresetMirrorCIS:
	default:
		return fmt.Errorf("layout preset %q: want single, mirror, cis or mirror+cis", l.Preset)
	}
	switch l.Encryption {
	case "", EncryptNone, EncryptTang, EncryptTPM2, EncryptTangTPM:
	default:
		return fmt.Errorf("layout encryption %q: want none, tang, tpm2 or tang+tpm2", l.Encryption)
	}
	seen := map[string]bool{}
	for _, m := range l.Split {
		if !path.IsAbs(m.Path) || path.Clean(m.Path) != m.Path || m.Path == "/" {
			return fmt.Errorf("layout split %q: want a clean absolute path other than /", m.Path)
		}
		if m.Path == "/boot" || m.Path == "/usr" || m.Path == "/etc" {
			return fmt.Errorf("layout split %q: the boot loader and early boot need it on the root filesystem", m.Path)
		}
		if seen[m.Path] {
			return fmt.Errorf("layout split %q listed twice", m.Path)
		}
		seen[m.Path] = true
	}
	return nil
}

// LayoutPackages lists the Debian packages the installed OS needs for l:
// mdadm to assemble mirrors, lvm2 for the CIS presets' logical volumes,
// cryptsetup and clevis with its initramfs hooks to unlock encrypted volumes
// by itself.
func LayoutPackages(l Layout) []string {
	l = l.WithDefaults()
	var pkgs []string
	if l.Preset == PresetMirror || l.Preset == PresetMirrorCIS {
		pkgs = append(pkgs, "mdadm")
	}
	if l.Preset == PresetCIS || l.Preset == PresetMirrorCIS {
		pkgs = append(pkgs, "lvm2")
	}
	if l.Encryption != EncryptNone {
		pkgs = append(pkgs, "cryptsetup", "cryptsetup-initramfs", "clevis", "clevis-luks", "clevis-initramfs")
	}
	if l.Encryption == EncryptTPM2 || l.Encryption == EncryptTangTPM {
		pkgs = append(pkgs, "clevis-tpm2")
	}
	return mergePackages(pkgs)
}

func mergePackages(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	sort.Strings(all)
	return slices.Compact(all)
}
