package assemble

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ingot.dev/ingot/image/grubpc"
	"ingot.dev/ingot/imagebuild/internal/hostcmd"
)

// GRUB serves both firmwares from one configuration: BOOTX64.EFI on the ESP
// for UEFI, boot.img in the MBR plus core.img in the BIOS boot partition for
// BIOS. Both carry the same early config, which finds the ESP by its FAT
// serial and reads /grub/grub.cfg there; the kernel and initrd sit on the ESP
// too, so GRUB never needs to read the root filesystem (which may be
// encrypted or on md once installed).

// GRUBDir is where grub-pc-bin and grub-efi-amd64-bin install their modules.
var GRUBDir = "/usr/lib/grub"

var grubModules = []string{
	"part_gpt", "part_msdos", "fat", "ext2", "normal", "linux", "search", "search_fs_uuid",
	"configfile", "echo", "serial", "terminal", "test", "gzio", "boot", "ls", "cat",
}

func earlyConfig(espSerial string) string {
	return "search --no-floppy --fs-uuid --set=root " + espSerial + "\nset prefix=($root)/grub\n"
}

// grubConfig is the ESP's /grub/grub.cfg.
func grubConfig(name, cmdline string) string {
	return strings.Join([]string{
		"serial --unit=0 --speed=115200",
		"terminal_input serial console",
		"terminal_output serial console",
		"set timeout=1",
		"menuentry '" + name + "' {",
		"\tlinux /vmlinuz " + cmdline,
		"\tinitrd /initrd.img",
		"}", "",
	}, "\n")
}

// mkimage runs grub-mkimage for platform (x86_64-efi or i386-pc).
func mkimage(ctx context.Context, dir, platform, espSerial string, extra ...string) (string, error) {
	cfg := filepath.Join(dir, "early-"+platform+".cfg")
	if err := os.WriteFile(cfg, []byte(earlyConfig(espSerial)), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "grub-"+platform+".img")
	args := append([]string{"-O", platform, "-d", filepath.Join(GRUBDir, platform), "-c", cfg, "-p", "/grub", "-o", out}, grubModules...)
	if _, err := hostcmd.Run(ctx, "grub-mkimage", append(args, extra...)...); err != nil {
		return "", fmt.Errorf("grub %s image: %w", platform, err)
	}
	return out, nil
}

// installBIOS writes core.img at lba (the BIOS boot partition) and boot.img
// into the MBR, doing what grub-bios-setup does for a GPT disk, but on a
// file: no device, no loop mount.
func installBIOS(disk *os.File, coreImg string, lba, partSectors uint64) error {
	core, err := os.ReadFile(coreImg)
	if err != nil {
		return err
	}
	boot, err := os.ReadFile(filepath.Join(GRUBDir, "i386-pc", "boot.img"))
	if err != nil {
		return fmt.Errorf("grub boot.img: %w", err)
	}
	return grubpc.Code{Boot: boot, Core: core}.Install(disk, lba, partSectors)
}
