package redfish

import (
	"net"
	"slices"
	"time"

	"github.com/google/uuid"
)

// PowerState is a system's power state as the BMC reports it.
type PowerState string

// Power states.
const (
	PowerOn         PowerState = "On"
	PowerOff        PowerState = "Off"
	PowerPoweringOn PowerState = "PoweringOn"
	PowerPoweringOf PowerState = "PoweringOff"
	PowerPaused     PowerState = "Paused"
)

// ResetType is a ComputerSystem.Reset action type.
type ResetType string

// Reset types Ingot uses.
const (
	ResetOn               ResetType = "On"
	ResetForceOff         ResetType = "ForceOff"
	ResetGracefulShutdown ResetType = "GracefulShutdown"
	ResetGracefulRestart  ResetType = "GracefulRestart"
	ResetForceRestart     ResetType = "ForceRestart"
	ResetPowerCycle       ResetType = "PowerCycle"
)

// BootTarget is a BootSourceOverrideTarget.
type BootTarget string

// Boot targets Ingot uses. UsbCd is not in the DMTF enum but some BMCs
// (Supermicro) list it for their virtual CD.
const (
	BootNone     BootTarget = "None"
	BootPxe      BootTarget = "Pxe"
	BootUefiHTTP BootTarget = "UefiHttp"
	BootCd       BootTarget = "Cd"
	BootUsbCd    BootTarget = "UsbCd"
	BootUsb      BootTarget = "Usb"
	BootHdd      BootTarget = "Hdd"
)

// BootMode is a BootSourceOverrideMode.
type BootMode string

// Boot modes.
const (
	BootModeUEFI   BootMode = "UEFI"
	BootModeLegacy BootMode = "Legacy"
)

// BootOverride is a boot source override.
type BootOverride struct {
	Target BootTarget
	// Mode is left as the BMC has it when empty.
	Mode BootMode `json:",omitempty"`
	// HTTPBootURI is the UEFI HTTP boot URL for Target UefiHttp; empty lets
	// DHCP provide it.
	HTTPBootURI string `json:",omitempty"`
	// Persistent keeps the override for every boot (Continuous) instead of
	// the next one only (Once).
	Persistent bool `json:",omitempty"`
	// Enabled is what the BMC reports on read: "Once", "Continuous" or
	// "Disabled". Ignored on write.
	Enabled string `json:",omitempty"`
}

// MediaType is a virtual media type.
type MediaType string

// Media types.
const (
	MediaCD       MediaType = "CD"
	MediaDVD      MediaType = "DVD"
	MediaUSBStick MediaType = "USBStick"
	MediaFloppy   MediaType = "Floppy"
)

// Quirks is what Ingot knows about one BMC: where its resources are and
// how it deviates from the standard. It is JSON so the server can store it
// per BMC; the client fills it in as it learns (see Client.Quirks) and
// redfish/quirks.Probe learns it up front.
type Quirks struct {
	Vendor   string `json:",omitempty"`
	Model    string `json:",omitempty"`
	Firmware string `json:",omitempty"`

	SystemPath  string `json:",omitempty"`
	ManagerPath string `json:",omitempty"`
	ResetPath   string `json:",omitempty"` // ComputerSystem.Reset target

	// BootTargets and ResetTypes are what the BMC advertises
	// (@Redfish.AllowableValues); empty means it does not say.
	BootTargets []BootTarget `json:",omitempty"`
	ResetTypes  []ResetType  `json:",omitempty"`
	// BootSettingsPath is set when the boot override must be PATCHed on the
	// @Redfish.Settings object rather than the system.
	BootSettingsPath string `json:",omitempty"`
	// BootETag: the boot override PATCH needs If-Match (412/428 without).
	BootETag bool `json:",omitempty"`
	// BootNotApplied: the BMC was seen accepting a boot override (2xx) that
	// reading back showed it had not applied.
	BootNotApplied bool `json:",omitempty"`

	MediaPath       string      `json:",omitempty"` // the VirtualMedia slot used for ISOs
	MediaTypes      []MediaType `json:",omitempty"`
	MediaInsertPath string      `json:",omitempty"` // empty: PATCH MediaPath instead
	MediaEjectPath  string      `json:",omitempty"`
	// MediaOmitInserted: leave Inserted and WriteProtected out of the insert
	// (the BMC answers 400 to them).
	MediaOmitInserted bool `json:",omitempty"`

	// NoSessions: the BMC has no SessionService; basic auth is used.
	NoSessions bool `json:",omitempty"`

	ProbedAt time.Time `json:",omitzero"`
}

func (q Quirks) clone() Quirks {
	q.BootTargets = slices.Clone(q.BootTargets)
	q.ResetTypes = slices.Clone(q.ResetTypes)
	q.MediaTypes = slices.Clone(q.MediaTypes)
	return q
}

// Inventory is what the BMC tells about its machine, enough to register a
// host (`ingot host import --redfish`).
type Inventory struct {
	UUID         uuid.UUID // zero when the BMC reports none or garbage
	HostName     string    `json:",omitempty"` // the system's HostName, when the BMC knows it
	Serial       string
	Manufacturer string
	Model        string
	SKU          string `json:",omitempty"`
	BIOSVersion  string `json:",omitempty"`
	BMCFirmware  string `json:",omitempty"`
	PowerState   PowerState
	CPUs         int
	MemoryGiB    float64
	NICs         []NIC
	Disks        []Disk // empty when the BMC exposes no Storage
}

// NIC is one EthernetInterface.
type NIC struct {
	Name      string
	MAC       net.HardwareAddr
	SpeedMbps int `json:",omitempty"`
	LinkUp    bool
}

// Disk is one Drive under Storage.
type Disk struct {
	Name      string
	Model     string `json:",omitempty"`
	Serial    string `json:",omitempty"`
	SizeBytes int64
	Media     string `json:",omitempty"` // HDD, SSD
	Protocol  string `json:",omitempty"` // SATA, SAS, NVMe
}

// MACs lists the NICs' MAC addresses.
func (inv Inventory) MACs() []net.HardwareAddr {
	out := make([]net.HardwareAddr, 0, len(inv.NICs))
	for _, n := range inv.NICs {
		if len(n.MAC) > 0 {
			out = append(out, n.MAC)
		}
	}
	return out
}
