package api

import (
	"net/netip"
	"time"
)

// BootPath is how a host reaches the installer.
type BootPath string

// Boot paths.
const (
	BootPXE           BootPath = "pxe"
	BootUEFIHTTP      BootPath = "uefi-http"
	BootRedfishVMedia BootPath = "redfish-vmedia"
	BootUSB           BootPath = "usb"
)

// Hostgroup is the semi-permanent unit of intent for a set of hosts.
type Hostgroup struct {
	Name          string    `json:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	Description   string    `json:"description,omitempty" maxLength:"1024"`
	ImageSet      string    `json:"image_set" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	Layout        string    `json:"layout,omitempty" maxLength:"65536" doc:"Storage layout: a preset (single, mirror, cis, mirror+cis) or an inline YAML/JSON layout spec (docs/layouts.md); default single."`
	Encryption    string    `json:"encryption,omitempty" maxLength:"16384" doc:"Encryption policy as inline YAML/JSON (threshold, tang servers with pinned thumbprints, tpm2) for the layout's LUKS volumes; a preset with a policy encrypts its data device. Empty means none."`
	BootPath      BootPath  `json:"boot_path,omitempty" enum:"pxe,uefi-http,redfish-vmedia,usb"`
	FirstBoot     FirstBoot `json:"first_boot,omitzero"`
	Template      Template  `json:"template,omitzero"`
	MaxConcurrent int       `json:"max_concurrent,omitempty" minimum:"0" maximum:"10000" doc:"Deployments running at once in this group; 0 means no group cap."`
	CreatedAt     time.Time `json:"created_at,omitzero" readOnly:"true"`
	UpdatedAt     time.Time `json:"updated_at,omitzero" readOnly:"true"`
}

// FirstBoot is the group's first-boot configuration.
type FirstBoot struct {
	Packages []string `json:"packages,omitempty" maxItems:"256"`
	RunCmd   []string `json:"run_cmd,omitempty" maxItems:"256"`
	UserData string   `json:"user_data,omitempty" maxLength:"65536" doc:"cloud-init user-data merged into the NoCloud seed."`
	Kexec    bool     `json:"kexec,omitempty" doc:"Start the installed system by kexec from the installer instead of a firmware reboot (saves the firmware's POST; falls back to a reboot)."`
}

// Template says which per-host fields a user may set and within which limits.
// A field whose rule is not Allowed is locked.
type Template struct {
	Hostname     StringRule  `json:"hostname,omitzero"`
	SSHKeys      ListRule    `json:"ssh_keys,omitzero"`
	Addresses    AddressRule `json:"addresses,omitzero"`
	Files        FileRule    `json:"files,omitzero"`
	PasswordHash StringRule  `json:"password_hash,omitzero"`
}

// StringRule limits a single string value.
type StringRule struct {
	Allowed  bool   `json:"allowed,omitempty"`
	Required bool   `json:"required,omitempty"`
	Pattern  string `json:"pattern,omitempty" maxLength:"512" doc:"RE2 regular expression the whole value must match."`
}

// ListRule limits a list of strings.
type ListRule struct {
	Allowed bool   `json:"allowed,omitempty"`
	Min     int    `json:"min,omitempty" minimum:"0"`
	Max     int    `json:"max,omitempty" minimum:"0" doc:"0 means no limit."`
	Pattern string `json:"pattern,omitempty" maxLength:"512"`
}

// AddressRule limits static addresses.
type AddressRule struct {
	Allowed  bool           `json:"allowed,omitempty"`
	Max      int            `json:"max,omitempty" minimum:"0"`
	Networks []netip.Prefix `json:"networks,omitempty" maxItems:"64" doc:"Each address must lie in one of these networks; empty means any."`
}

// FileRule limits extra files written to the installed system.
type FileRule struct {
	Allowed  bool     `json:"allowed,omitempty"`
	Max      int      `json:"max,omitempty" minimum:"0"`
	Paths    []string `json:"paths,omitempty" maxItems:"64" doc:"Shell globs (path.Match) a file path must match."`
	MaxBytes int      `json:"max_bytes,omitempty" minimum:"0" doc:"Largest content allowed; 0 means 64 KiB."`
}
