// Package plan is the contract between the Ingot server and the installer:
// the inventory the installer reports and the plan it fetches. It imports
// only the wire types, so both sides can share it.
package plan

import (
	"encoding/json"

	"ingot.dev/ingot/api"
)

// Inventory is what the installer learns about the machine it runs on.
type Inventory struct {
	Arch        api.Arch     `json:"arch"`
	Firmware    api.Firmware `json:"firmware"`
	SecureBoot  bool         `json:"secure_boot,omitempty"`
	CPU         CPU          `json:"cpu"`
	MemoryBytes int64        `json:"memory_bytes"`
	Disks       []Disk       `json:"disks"`
	NICs        []NIC        `json:"nics"`
	DMI         DMI          `json:"dmi"`
	TPM         TPM          `json:"tpm"`
	BootMAC     string       `json:"boot_mac,omitempty" doc:"The NIC the installer booted from, when known."`
}

// CPU describes the processors.
type CPU struct {
	Model   string `json:"model"`
	Sockets int    `json:"sockets,omitempty"`
	Cores   int    `json:"cores"`
	Threads int    `json:"threads"`
}

// Disk is one block device that could hold the OS.
type Disk struct {
	Name       string `json:"name"`              // sda, nvme0n1, vda
	Path       string `json:"path"`              // /dev/sda
	ByPath     string `json:"by_path,omitempty"` // /dev/disk/by-path/...
	Model      string `json:"model,omitempty"`
	Serial     string `json:"serial,omitempty"`
	WWN        string `json:"wwn,omitempty"`
	SizeBytes  int64  `json:"size_bytes"`
	Rotational bool   `json:"rotational"`
	Removable  bool   `json:"removable,omitempty"`
	Transport  string `json:"transport,omitempty"` // nvme, sata, scsi, usb, virtio
}

// NIC is one network interface.
type NIC struct {
	Name      string `json:"name"`
	MAC       string `json:"mac"`
	Driver    string `json:"driver,omitempty"`
	Link      bool   `json:"link"`
	SpeedMbps int    `json:"speed_mbps,omitempty"`
}

// DMI is the SMBIOS identity of the machine.
type DMI struct {
	Vendor      string `json:"vendor,omitempty"`
	Product     string `json:"product,omitempty"`
	Serial      string `json:"serial,omitempty"`
	UUID        string `json:"uuid,omitempty"`
	BIOSVendor  string `json:"bios_vendor,omitempty"`
	BIOSVersion string `json:"bios_version,omitempty"`
}

// TPM says whether a TPM is there and which.
type TPM struct {
	Present bool   `json:"present"`
	Version string `json:"version,omitempty"` // "2.0", "1.2"
}

// Discovery is what an unknown machine posts (POST /v1/discovery, no token).
type Discovery struct {
	MACs      []string  `json:"macs" maxItems:"64"`
	Inventory Inventory `json:"inventory"`
}

// DiscoveryReply tells a discovered machine what to do next.
type DiscoveryReply struct {
	Host   string `json:"host"`
	Action string `json:"action" enum:"wait,install,local,poweroff" doc:"wait: stay up and poll again after poll_seconds; install: install now with deployment and token (without them: reboot to PXE); local: boot the installed system on the disk (kexec); poweroff."`
	Poll   int    `json:"poll_seconds,omitempty"`
	// Deployment and Token come with install: the deployment waiting for
	// this machine's installer and its one-time installer token, bound to
	// the host's MACs (the same token PXE puts on the kernel command line).
	Deployment api.DeploymentID `json:"deployment,omitempty"`
	Token      string           `json:"token,omitempty"`
}

// Discovery actions.
const (
	ActionWait     = "wait"
	ActionInstall  = "install"
	ActionLocal    = "local"
	ActionPoweroff = "poweroff"
)

// Plan is what the installer of one deployment fetches with its token
// (GET /v1/installer/plan).
type Plan struct {
	Deployment api.DeploymentID `json:"deployment"`
	Host       string           `json:"host"`
	Image      ImageSource      `json:"image"`
	Layout     Layout           `json:"layout"`
	Config     HostConfig       `json:"config"`
	Reboot     string           `json:"reboot" doc:"reboot, kexec or poweroff after a successful install."`
}

// Image says which image to stream and how to trust it.
type ImageSource struct {
	ID        string       `json:"id"`         // sha256:<hex> of the signed manifest
	Server    string       `json:"server"`     // base URL serving /v1/chunks and manifests
	PublicKey string       `json:"public_key"` // PEM ed25519 key the manifest must verify against
	Firmware  api.Firmware `json:"firmware"`
}

// Layout is the storage plan. The storage issue grows it (mirror, LUKS,
// CIS); "single" writes the image's disk payload to one disk.
type Layout struct {
	Preset string       `json:"preset"` // single
	Disk   DiskSelector `json:"disk"`
	// Spec is the hostgroup's storage layout as JSON (installer/layout:
	// parse with layout.Parse, resolve with layout.Plan against the
	// inventory). Empty keeps the raw-disk "single" behaviour above.
	Spec json.RawMessage `json:"spec,omitempty"`
}

// DiskSelector picks disks from the inventory. Empty fields match any.
type DiskSelector struct {
	MinBytes   int64  `json:"min_bytes,omitempty"`
	MaxBytes   int64  `json:"max_bytes,omitempty"`
	Model      string `json:"model,omitempty"`  // glob
	Serial     string `json:"serial,omitempty"` // glob
	Transport  string `json:"transport,omitempty"`
	Rotational *bool  `json:"rotational,omitempty"`
}

// HostConfig is what the installer writes into the installed system.
type HostConfig struct {
	Hostname     string              `json:"hostname"`
	SSHKeys      []string            `json:"ssh_keys,omitempty"`
	Addresses    []api.StaticAddress `json:"addresses,omitempty"`
	PasswordHash string              `json:"password_hash,omitempty"`
	Files        []api.File          `json:"files,omitempty"`
	UserData     string              `json:"user_data,omitempty"`
	Packages     []string            `json:"packages,omitempty"`
	RunCmd       []string            `json:"run_cmd,omitempty"`
	// PhoneHome is where the installed OS reports its first boot
	// (POST with Authorization: Bearer PhoneHomeToken).
	PhoneHome      string `json:"phone_home"`
	PhoneHomeToken string `json:"phone_home_token"`
}
