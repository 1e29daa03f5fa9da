// Package bootentry makes the installed system the machine's next and first
// UEFI boot option (go-efilib): a Boot#### entry for the loader on the
// disk's EFI system partition, put first in BootOrder and set as BootNext.
package bootentry

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"

	efi "github.com/canonical/go-efilib"
)

// Loader is the removable-media path every UEFI firmware can boot on this
// machine's architecture, which Debian's images (and grub-install
// --removable) fill in.
var Loader = LoaderFor(runtime.GOARCH)

// LoaderFor is the removable-media loader path for a Go architecture name.
func LoaderFor(goarch string) string {
	if goarch == "arm64" {
		return `\EFI\BOOT\BOOTAA64.EFI`
	}
	return `\EFI\BOOT\BOOTX64.EFI`
}

// Option builds the load option for loader on partition part of the disk
// read through r (size bytes, 512-byte sectors).
func Option(r io.ReaderAt, size int64, part int, loader, desc string) (*efi.LoadOption, error) {
	hd, err := efi.NewHardDriveDevicePathNodeFromDevice(r, size, 512, part)
	if err != nil {
		return nil, fmt.Errorf("reading the EFI system partition (partition %d): %w", part, err)
	}
	return &efi.LoadOption{
		Attributes:  efi.LoadOptionActive,
		Description: desc,
		FilePath:    efi.DevicePath{hd, efi.NewFilePathDevicePathNode(loader)},
	}, nil
}

// Install writes opt as a boot option, reusing the number of an existing
// option with the same description, puts it first in BootOrder and sets
// BootNext to it. It returns the option's number. ctx must carry the
// variables backend (efi.DefaultVarContext on a live system).
func Install(ctx context.Context, opt *efi.LoadOption) (uint16, error) {
	n, err := number(ctx, opt.Description)
	if err != nil {
		return 0, err
	}
	if err := efi.WriteLoadOptionVariable(ctx, efi.LoadOptionClassBoot, n, opt); err != nil {
		return 0, fmt.Errorf("writing Boot%04X: %w", n, err)
	}
	order, _ := efi.ReadLoadOrderVariable(ctx, efi.LoadOptionClassBoot)
	order = slices.DeleteFunc(order, func(x uint16) bool { return x == n })
	if err := efi.WriteLoadOrderVariable(ctx, efi.LoadOptionClassBoot, append([]uint16{n}, order...)); err != nil {
		return n, fmt.Errorf("writing BootOrder: %w", err)
	}
	if err := efi.WriteBootNextVariable(ctx, n); err != nil {
		return n, fmt.Errorf("writing BootNext: %w", err)
	}
	return n, nil
}

func number(ctx context.Context, desc string) (uint16, error) {
	ns, _ := efi.ListLoadOptionNumbers(ctx, efi.LoadOptionClassBoot)
	for _, n := range ns {
		if o, err := efi.ReadLoadOptionVariable(ctx, efi.LoadOptionClassBoot, n); err == nil && o.Description == desc {
			return n, nil
		}
	}
	n, err := efi.NextAvailableLoadOptionNumber(ctx, efi.LoadOptionClassBoot)
	if err != nil {
		return 0, fmt.Errorf("finding a free boot option number: %w", err)
	}
	return n, nil
}
