package planner

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
)

func TestPickVariant(t *testing.T) {
	amdUEFI := api.Variant{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: imgAmdUEFI}
	amdBIOS := api.Variant{Arch: api.ArchAMD64, Firmware: api.FirmwareBIOS, Image: imgAmdBIOS}
	armUEFI := api.Variant{Arch: api.ArchARM64, Firmware: api.FirmwareUEFI, Image: imgArmUEFI}
	amdSB := api.Variant{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, SecureBoot: true, Image: imgAmdSB}
	all := []api.Variant{armUEFI, amdSB, amdBIOS, amdUEFI}
	tests := []struct {
		name      string
		inventory string
		variants  []api.Variant
		want      api.Variant
		wantField string
	}{
		{name: "no inventory, only variant", variants: []api.Variant{armUEFI}, want: armUEFI},
		{name: "no inventory, prefer amd64 uefi without secure boot", variants: all, want: amdUEFI},
		{name: "no inventory, prefer amd64 over uefi", variants: []api.Variant{armUEFI, amdBIOS}, want: amdBIOS},
		{name: "inventory without known keys", inventory: `{"cpus":8}`, variants: all, want: amdUEFI},
		{name: "arm64 host", inventory: `{"arch":"arm64"}`, variants: all, want: armUEFI},
		{name: "bios host", inventory: `{"arch":"amd64","firmware":"bios"}`, variants: all, want: amdBIOS},
		{name: "secure boot host", inventory: `{"arch":"amd64","firmware":"uefi","secure_boot":true}`, variants: all, want: amdSB},
		{name: "secure boot off", inventory: `{"secure_boot":false,"firmware":"uefi"}`, variants: []api.Variant{amdSB, armUEFI}, want: armUEFI},
		{name: "only variant does not fit", inventory: `{"arch":"arm64"}`, variants: []api.Variant{amdUEFI}, wantField: "variant"},
		{name: "secure boot wanted, none", inventory: `{"secure_boot":true}`, variants: []api.Variant{amdUEFI, amdBIOS}, wantField: "variant"},
		{name: "no variants", variants: nil, wantField: "image_set"},
		{name: "inventory not JSON", inventory: `arm64`, variants: all, wantField: "inventory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := api.Host{Name: "h1"}
			if tt.inventory != "" {
				h.Inventory = api.RawJSON(tt.inventory)
			}
			got, err := PickVariant(h, api.ImageSet{Name: "s", Variants: tt.variants})
			if tt.wantField != "" {
				var pe *PlanError
				if !errors.As(err, &pe) || pe.Field != tt.wantField {
					t.Fatalf("PickVariant = %v, %v; want PlanError on %q", got, err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("variant (-want +got):\n%s", diff)
			}
		})
	}
}
