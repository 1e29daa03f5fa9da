package boot

import (
	"fmt"

	"ingot.dev/ingot/api"
)

// ClientArch is a client system architecture from DHCP option 93 (RFC 4578,
// IANA "Processor Architecture Types").
type ClientArch uint16

// Client architectures Ingot boots.
const (
	ArchBIOS          ClientArch = 0  // x86 BIOS (PXE)
	ArchEFIIA32       ClientArch = 6  // x86 UEFI
	ArchEFIX8664      ClientArch = 7  // x86-64 UEFI
	ArchEFIBC         ClientArch = 9  // x86-64 UEFI (EBC, used by many firmwares for x86-64)
	ArchEFIARM64      ClientArch = 11 // arm64 UEFI
	ArchEFIX86HTTP    ClientArch = 15 // x86 UEFI HTTP boot
	ArchEFIX8664HTTP  ClientArch = 16 // x86-64 UEFI HTTP boot
	ArchEFIARM64HTTP  ClientArch = 19 // arm64 UEFI HTTP boot
	ArchUnknown       ClientArch = 0xffff
	archBIOSHTTPIANA  ClientArch = 20 // x86 BIOS HTTP (rare; treated as BIOS)
	archEFIBCHTTPIANA ClientArch = 17 // EBC HTTP, treated as x86-64 HTTP
)

// Supported reports whether Ingot has a boot file for this architecture.
func (a ClientArch) Supported() bool {
	switch a {
	case ArchBIOS, ArchEFIX8664, ArchEFIBC, ArchEFIARM64, ArchEFIX8664HTTP, ArchEFIARM64HTTP, archEFIBCHTTPIANA:
		return true
	}
	return false
}

// Firmware returns bios or uefi.
func (a ClientArch) Firmware() api.Firmware {
	if a == ArchBIOS || a == archBIOSHTTPIANA {
		return api.FirmwareBIOS
	}
	return api.FirmwareUEFI
}

// CPU returns the CPU architecture.
func (a ClientArch) CPU() api.Arch {
	switch a {
	case ArchEFIARM64, ArchEFIARM64HTTP:
		return api.ArchARM64
	}
	return api.ArchAMD64
}

// HTTP reports whether the client is a UEFI HTTP boot client: it wants a
// URL, not a TFTP file name.
func (a ClientArch) HTTP() bool {
	switch a {
	case ArchEFIX86HTTP, ArchEFIX8664HTTP, archEFIBCHTTPIANA, ArchEFIARM64HTTP, archBIOSHTTPIANA:
		return true
	}
	return false
}

// Platform is iPXE's ${platform}: "pcbios" or "efi".
func (a ClientArch) Platform() string {
	if a.Firmware() == api.FirmwareBIOS {
		return "pcbios"
	}
	return "efi"
}

// BuildArch is iPXE's ${buildarch}: "i386", "x86_64" or "arm64".
func (a ClientArch) BuildArch() string {
	switch {
	case a.CPU() == api.ArchARM64:
		return "arm64"
	case a == ArchBIOS:
		return "i386"
	}
	return "x86_64"
}

func (a ClientArch) String() string {
	switch a {
	case ArchBIOS:
		return "bios"
	case ArchEFIIA32:
		return "efi-ia32"
	case ArchEFIX8664:
		return "efi-x86_64"
	case ArchEFIBC:
		return "efi-bc"
	case ArchEFIARM64:
		return "efi-arm64"
	case ArchEFIX86HTTP:
		return "efi-ia32-http"
	case ArchEFIX8664HTTP:
		return "efi-x86_64-http"
	case ArchEFIARM64HTTP:
		return "efi-arm64-http"
	case ArchUnknown:
		return "unknown"
	}
	return fmt.Sprintf("arch-%d", uint16(a))
}

// ArchFromIPXE maps iPXE's ${platform} and ${buildarch} to a ClientArch.
// Unknown combinations give ArchUnknown.
func ArchFromIPXE(platform, buildarch string) ClientArch {
	switch {
	case platform == "pcbios":
		return ArchBIOS
	case platform == "efi" && buildarch == "arm64":
		return ArchEFIARM64
	case platform == "efi" && (buildarch == "x86_64" || buildarch == ""):
		return ArchEFIX8664
	case platform == "efi" && buildarch == "i386":
		return ArchEFIIA32
	}
	return ArchUnknown
}
