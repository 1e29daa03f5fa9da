// Package assemble turns a root filesystem tree into bootable payloads: a
// GPT disk image (BIOS boot partition, FAT32 ESP with GRUB, kernel and
// initrd, ext4 root and one ext4 filesystem per split mount point) that boots
// under UEFI and legacy BIOS, plus, when the layout splits mount points, each
// filesystem as a payload of its own. Everything is built in files with
// mkfs.ext4 -d, mkfs.vfat and mtools: no mounts, no loop devices. Every
// UUID, GUID and hash seed derives from a seed (the recipe's hash), so the
// same tree and seed give the same bytes.
package assemble

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ingot.dev/ingot/image/manifest"
)

// Firmware values, as in imagebuild.Recipe.
const (
	BIOS = "bios"
	UEFI = "uefi"
	Both = "both"
)

// Mount is a mount point that gets a filesystem of its own.
type Mount struct {
	Path string
	Size int64 // 0: sized from the contents
}

// Config is what Assemble needs.
type Config struct {
	Tree     string // root tree; Assemble moves split mount points out of it
	OutDir   string // where payload files and scratch files go
	Name     string // boot menu entry
	Firmware string // bios, uefi or both
	Cmdline  string // kernel arguments besides root= and ro
	Split    []Mount
	Seed     [32]byte // derives UUIDs, GUIDs and hash seeds
	DiskSize int64    // minimum disk size; 0: as small as the contents allow
	ESPSize  int64    // default 256 MiB
	Epoch    time.Time
	Logger   *slog.Logger
}

// Validate reports a config Assemble cannot use.
func (c Config) Validate() error {
	switch {
	case c.Tree == "" || c.OutDir == "":
		return errors.New("assemble: tree and out dir are required")
	case c.Firmware != BIOS && c.Firmware != UEFI && c.Firmware != Both:
		return fmt.Errorf("assemble: firmware %q: want bios, uefi or both", c.Firmware)
	case c.Epoch.IsZero():
		return errors.New("assemble: epoch is required")
	case c.ESPSize != 0 && (c.ESPSize < 64<<20 || c.ESPSize%align != 0):
		return fmt.Errorf("assemble: ESP size %d: want a multiple of 4 MiB, at least 64 MiB", c.ESPSize)
	}
	for _, m := range c.Split {
		if !filepath.IsAbs(m.Path) || m.Path == "/" || m.Size%align != 0 {
			return fmt.Errorf("assemble: split %q: want an absolute path other than / and a size in whole 4 MiB", m.Path)
		}
	}
	return nil
}

// Payload is one assembled payload file.
type Payload struct {
	Role   string
	Kind   manifest.Kind
	FSType string
	Path   string
}

// Result lists the payloads (the disk first) and what the boot loader runs.
type Result struct {
	Payloads   []Payload
	Kernel     Kernel
	Cmdline    string // full kernel command line, root= included
	Bootloader string
}

// Assemble builds the filesystems and the disk image.
func Assemble(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ESPSize == 0 {
		cfg.ESPSize = 256 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	k, err := FindKernel(cfg.Tree)
	if err != nil {
		return nil, err
	}
	fss, err := splitTree(cfg)
	if err != nil {
		return nil, err
	}
	rootUUID := fss[0].uuid
	cmdline := strings.TrimSpace("root=UUID=" + rootUUID.String() + " ro " + cfg.Cmdline)
	espID, espHex := fatSerial(cfg.Seed)
	if err := writeFstab(cfg.Tree, fss, espID); err != nil {
		return nil, err
	}
	if err := writeESPSync(cfg.Tree, k); err != nil {
		return nil, err
	}
	for i := range fss {
		if err := fss[i].make(ctx, cfg); err != nil {
			return nil, err
		}
	}
	esp, err := makeESP(ctx, cfg, k, cmdline, espID, espHex)
	if err != nil {
		return nil, err
	}
	disk, err := makeDisk(ctx, cfg, esp, fss)
	if err != nil {
		return nil, err
	}
	res := &Result{Kernel: k, Cmdline: cmdline, Bootloader: "grub",
		Payloads: []Payload{{Role: "disk", Kind: manifest.KindRawDisk, Path: disk}}}
	if len(cfg.Split) > 0 {
		res.Payloads = append(res.Payloads, Payload{Role: "esp", Kind: manifest.KindFSImage, FSType: "vfat", Path: esp.path})
		for _, f := range fss {
			res.Payloads = append(res.Payloads, Payload{Role: f.role, Kind: manifest.KindFSImage, FSType: "ext4", Path: f.image})
		}
	}
	return res, nil
}

func makeESP(ctx context.Context, cfg Config, k Kernel, cmdline, espID, espHex string) (part, error) {
	files := map[string]string{"/vmlinuz": k.Image, "/initrd.img": k.Initrd}
	cfgFile := filepath.Join(cfg.OutDir, "grub.cfg")
	if err := os.WriteFile(cfgFile, []byte(grubConfig(cfg.Name, cmdline)), 0o644); err != nil {
		return part{}, err
	}
	files["/grub/grub.cfg"] = cfgFile
	if cfg.Firmware != BIOS {
		efi, err := mkimage(ctx, cfg.OutDir, "x86_64-efi", espID)
		if err != nil {
			return part{}, err
		}
		files["/EFI/BOOT/BOOTX64.EFI"] = efi
	}
	p := part{path: filepath.Join(cfg.OutDir, "esp.img"), size: cfg.ESPSize}
	e := ESP{Out: p.path, Size: p.size, Serial: espHex, Files: files, Epoch: cfg.Epoch}
	return p, e.Make(ctx)
}
