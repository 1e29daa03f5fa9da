// Package inventory learns what machine the installer runs on from /sys and
// /proc: processors, memory, disks, NICs, SMBIOS identity, firmware and TPM.
package inventory

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
)

// Roots are where the kernel's filesystems are mounted; tests point them at
// fake trees.
type Roots struct {
	Sys  string // default /sys
	Proc string // default /proc
	Dev  string // default /dev
}

func (r Roots) withDefaults() Roots {
	if r.Sys == "" {
		r.Sys = "/sys"
	}
	if r.Proc == "" {
		r.Proc = "/proc"
	}
	if r.Dev == "" {
		r.Dev = "/dev"
	}
	return r
}

// Collect returns the machine's inventory. Missing files leave fields
// empty: the inventory of a strange machine is incomplete, not an error.
func Collect(r Roots) plan.Inventory {
	r = r.withDefaults()
	inv := plan.Inventory{
		Arch:        api.Arch(runtime.GOARCH),
		Firmware:    firmware(r.Sys),
		SecureBoot:  secureBoot(r.Sys),
		CPU:         cpu(r.Proc),
		MemoryBytes: memory(r.Proc),
		Disks:       Disks(r),
		NICs:        NICs(r.Sys),
		DMI:         dmi(r.Sys),
		TPM:         tpm(r.Sys),
	}
	return inv
}

func firmware(sys string) api.Firmware {
	if _, err := os.Stat(filepath.Join(sys, "firmware/efi")); err == nil {
		return api.FirmwareUEFI
	}
	return api.FirmwareBIOS
}

const globalVariable = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

func secureBoot(sys string) bool {
	b, err := os.ReadFile(filepath.Join(sys, "firmware/efi/efivars", "SecureBoot-"+globalVariable))
	// 4 bytes of attributes, then the value.
	return err == nil && len(b) >= 5 && b[4] == 1
}

func dmi(sys string) plan.DMI {
	d := filepath.Join(sys, "class/dmi/id")
	return plan.DMI{
		Vendor:      read(d, "sys_vendor"),
		Product:     read(d, "product_name"),
		Serial:      read(d, "product_serial"),
		UUID:        strings.ToLower(read(d, "product_uuid")),
		BIOSVendor:  read(d, "bios_vendor"),
		BIOSVersion: read(d, "bios_version"),
	}
}

func tpm(sys string) plan.TPM {
	d := filepath.Join(sys, "class/tpm/tpm0")
	if _, err := os.Stat(d); err != nil {
		return plan.TPM{}
	}
	t := plan.TPM{Present: true}
	switch read(d, "tpm_version_major") {
	case "2":
		t.Version = "2.0"
	case "1":
		t.Version = "1.2"
	}
	return t
}

// read returns the trimmed content of dir/name, or "" when it cannot.
func read(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readInt(dir, name string) int64 {
	n, _ := strconv.ParseInt(read(dir, name), 10, 64)
	return n
}
