package inventory

import (
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
)

func TestCollect(t *testing.T) {
	got := Collect(Roots{Sys: "testdata/sys", Proc: "testdata/proc", Dev: "testdata/dev-missing"})
	want := plan.Inventory{
		Arch:        api.Arch(runtime.GOARCH),
		Firmware:    api.FirmwareUEFI,
		SecureBoot:  true,
		CPU:         plan.CPU{Model: "QEMU Virtual CPU version 2.5+", Sockets: 1, Cores: 2, Threads: 2},
		MemoryBytes: 1014292 << 10,
		Disks: []plan.Disk{
			{
				Name: "nvme0n1", Path: "/dev/nvme0n1", ByPath: "/dev/disk/by-path/pci-0000:00:05.0-nvme-1",
				Model: "QEMU NVMe Ctrl", Serial: "nvme-serial-7", WWN: "eui.0000000001000000",
				SizeBytes: 1000215216 * 512, Transport: "nvme",
			},
			{
				Name: "sda", Path: "/dev/sda", ByPath: "/dev/disk/by-path/pci-0000:00:1f.2-ata-3",
				Model: "WDC WD40EFRX-68N", Serial: "WD-WCC7K", SizeBytes: 7814037168 * 512,
				Rotational: true, Transport: "sata",
			},
			{
				Name: "vda", Path: "/dev/vda", ByPath: "/dev/disk/by-path/pci-0000:00:04.0",
				Serial: "ingot-disk-1", SizeBytes: 1 << 30, Transport: "virtio",
			},
		},
		NICs: []plan.NIC{{Name: "eth0", MAC: "52:54:00:12:34:56", Driver: "virtio_net", Link: true}},
		DMI: plan.DMI{
			Vendor: "QEMU", Product: "Standard PC (Q35 + ICH9, 2009)", Serial: "SER-1",
			UUID: "6f2e0b1a-0000-4000-8000-000000000001", BIOSVendor: "EFI Development Kit II / OVMF", BIOSVersion: "0.0.0",
		},
		TPM: plan.TPM{Present: true, Version: "2.0"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Collect() mismatch (-want +got):\n%s", d)
	}
}

func TestCollectEmpty(t *testing.T) {
	got := Collect(Roots{Sys: t.TempDir(), Proc: t.TempDir(), Dev: t.TempDir()})
	if got.Firmware != api.FirmwareBIOS || got.TPM.Present || len(got.Disks) != 0 || len(got.NICs) != 0 {
		t.Errorf("Collect(empty) = %+v, want a BIOS machine with nothing", got)
	}
}
