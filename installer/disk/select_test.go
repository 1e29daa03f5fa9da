package disk

import (
	"strings"
	"testing"

	"ingot.dev/ingot/installer/plan"
)

func TestSelect(t *testing.T) {
	yes, no := true, false
	disks := []plan.Disk{
		{Name: "sda", Model: "WDC WD40EFRX", Serial: "WD-1", SizeBytes: 4 << 40, Rotational: true, Transport: "sata"},
		{Name: "nvme0n1", Model: "Samsung SSD 980", Serial: "S64-2", SizeBytes: 512 << 30, Transport: "nvme"},
		{Name: "nvme1n1", Model: "Samsung SSD 980", Serial: "S64-1", SizeBytes: 512 << 30, Transport: "nvme"},
		{Name: "sdb", Model: "Cruzer", SizeBytes: 16 << 30, Removable: true, Transport: "usb"},
	}
	tests := []struct {
		name    string
		sel     plan.DiskSelector
		want    string
		wantErr string
	}{
		{name: "any picks the smallest fixed disk, then by name", want: "nvme0n1"},
		{name: "min bytes", sel: plan.DiskSelector{MinBytes: 1 << 40}, want: "sda"},
		{name: "max bytes", sel: plan.DiskSelector{MaxBytes: 1 << 40}, want: "nvme0n1"},
		{name: "model glob", sel: plan.DiskSelector{Model: "WDC*"}, want: "sda"},
		{name: "serial glob", sel: plan.DiskSelector{Serial: "S64-1"}, want: "nvme1n1"},
		{name: "transport", sel: plan.DiskSelector{Transport: "NVMe"}, want: "nvme0n1"},
		{name: "rotational", sel: plan.DiskSelector{Rotational: &yes}, want: "sda"},
		{name: "not rotational", sel: plan.DiskSelector{Rotational: &no, MinBytes: 1 << 30}, want: "nvme0n1"},
		{name: "usb only when asked", sel: plan.DiskSelector{Transport: "usb"}, want: "sdb"},
		{name: "nothing matches", sel: plan.DiskSelector{Model: "INTEL*"}, wantErr: `no disk matches the layout's selector {model=INTEL*} (sda: model "WDC WD40EFRX" does not match "INTEL*"`},
		{name: "too small", sel: plan.DiskSelector{MinBytes: 8 << 40}, wantErr: "sdb: size 16GiB < min_size 8TiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.sel, disks)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Select() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Select() error = %v", err)
			}
			if got.Name != tt.want {
				t.Errorf("Select() = %s, want %s", got.Name, tt.want)
			}
		})
	}
	if _, err := Select(plan.DiskSelector{}, nil); err == nil || !strings.Contains(err.Error(), "no disks found") {
		t.Errorf("Select(no disks) error = %v", err)
	}
}

func TestPartitionPath(t *testing.T) {
	for dev, want := range map[string]string{
		"/dev/sda": "/dev/sda2", "/dev/vda": "/dev/vda2", "/dev/nvme0n1": "/dev/nvme0n1p2", "/dev/mmcblk0": "/dev/mmcblk0p2",
	} {
		if got := PartitionPath(dev, 2); got != want {
			t.Errorf("PartitionPath(%s, 2) = %s, want %s", dev, got, want)
		}
	}
}
