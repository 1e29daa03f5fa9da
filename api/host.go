package api

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// MAC is a hardware address that travels as "aa:bb:cc:dd:ee:ff".
type MAC struct{ net.HardwareAddr }

// ParseMAC parses a 48-bit MAC in any form net.ParseMAC accepts.
func ParseMAC(s string) (MAC, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return MAC{}, fmt.Errorf("invalid MAC address %q: want six hex pairs like 52:54:00:12:34:56", s)
	}
	return MAC{hw}, nil
}

// MarshalText implements encoding.TextMarshaler.
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *MAC) UnmarshalText(b []byte) error {
	p, err := ParseMAC(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

// HostState is where a host is in its life.
type HostState string

// Host states.
const (
	HostRegistered HostState = "registered"
	HostDiscovered HostState = "discovered"
	HostDeploying  HostState = "deploying"
	HostDeployed   HostState = "deployed"
	HostFailed     HostState = "failed"
)

// BootDecision is what the host gets when it network-boots.
type BootDecision string

// Boot decisions.
const (
	BootInstaller BootDecision = "installer"
	BootLocal     BootDecision = "local"
	BootDiscovery BootDecision = "discovery"
	BootHold      BootDecision = "hold"
)

// Host is one machine.
type Host struct {
	Name       string       `json:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	MACs       []MAC        `json:"macs" maxItems:"32" doc:"Hardware addresses; each is unique across hosts."`
	Serial     string       `json:"serial,omitempty" maxLength:"128"`
	SystemUUID string       `json:"system_uuid,omitempty" pattern:"^[0-9a-fA-F-]{32,36}$"`
	BMC        *BMC         `json:"bmc,omitempty"`
	Hostgroup  string       `json:"hostgroup,omitempty" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	Values     HostValues   `json:"values,omitzero"`
	Inventory  RawJSON      `json:"inventory,omitempty" readOnly:"true"`
	State      HostState    `json:"state,omitempty" readOnly:"true"`
	Boot       BootDecision `json:"boot,omitempty" enum:"installer,local,discovery,hold"`
	CreatedAt  time.Time    `json:"created_at,omitzero" readOnly:"true"`
	UpdatedAt  time.Time    `json:"updated_at,omitzero" readOnly:"true"`
}

// BMC is how to reach the host's baseboard management controller.
type BMC struct {
	Endpoint   string `json:"endpoint" format:"uri" maxLength:"512"`
	Credential string `json:"credential,omitempty" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$" doc:"Name of a stored credential."`
}

// HostValues are the per-host values, checked against the hostgroup template.
type HostValues struct {
	Hostname     string          `json:"hostname,omitempty" maxLength:"253"`
	SSHKeys      []string        `json:"ssh_keys,omitempty" maxItems:"64"`
	Addresses    []StaticAddress `json:"addresses,omitempty" maxItems:"64"`
	Files        []File          `json:"files,omitempty" maxItems:"64"`
	PasswordHash string          `json:"password_hash,omitempty" maxLength:"512"`
}

// StaticAddress is one statically configured interface address.
type StaticAddress struct {
	Interface string       `json:"interface,omitempty" maxLength:"64" doc:"Interface name or MAC; empty means the boot interface."`
	Address   netip.Prefix `json:"address" doc:"Address with prefix length, e.g. 10.0.0.5/24."`
	Gateway   netip.Addr   `json:"gateway,omitzero"`
	DNS       []netip.Addr `json:"dns,omitempty" maxItems:"8"`
}

// File is an extra file written into the installed system.
type File struct {
	Path    string `json:"path" maxLength:"1024"`
	Content string `json:"content" maxLength:"1048576"`
	Mode    uint32 `json:"mode,omitempty" maximum:"4095" doc:"Permission bits; default 0644."`
}
