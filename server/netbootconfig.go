package server

import (
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"time"

	"sigs.k8s.io/yaml"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/netboot"
	"ingot.dev/ingot/netboot/dhcp"
)

// NetbootFile is the netboot section of the server configuration, as
// written in YAML (`ingot serve --netboot FILE`). Without it, Ingot sends
// nothing beyond its API listener.
type NetbootFile struct {
	HTTPBase     string          `json:"http_base,omitempty"`     // default: the server's public URL
	TFTP         bool            `json:"tftp,omitempty"`          // serve the iPXE binaries over TFTP
	RA           bool            `json:"ra,omitempty"`            // IPv6 router advertisements (segments Ingot owns)
	IPXEDir      string          `json:"ipxe_dir,omitempty"`      // default /usr/lib/ipxe
	InstallerDir string          `json:"installer_dir,omitempty"` // default build/installer
	HoldInterval string          `json:"hold_interval,omitempty"` // how often a held machine asks again; default 30s
	Interfaces   []NetbootIfFile `json:"interfaces"`
}

// NetbootIfFile is one served segment.
type NetbootIfFile struct {
	Name         string            `json:"name"`
	Address      netip.Addr        `json:"address"`
	Mode         dhcp.Mode         `json:"mode,omitempty"` // proxy (default) or full
	Pools        []NetbootPoolFile `json:"pools,omitempty"`
	Reservations []NetbootResvFile `json:"reservations,omitempty"`
}

// NetbootPoolFile is a full-mode address pool.
type NetbootPoolFile struct {
	Subnet netip.Prefix `json:"subnet"`
	Start  netip.Addr   `json:"start"`
	End    netip.Addr   `json:"end"`
	Router netip.Addr   `json:"router,omitzero"`
	DNS    []netip.Addr `json:"dns,omitempty"`
}

// NetbootResvFile is a static reservation.
type NetbootResvFile struct {
	MAC  api.MAC    `json:"mac"`
	Addr netip.Addr `json:"addr"`
}

// LoadNetboot reads a netboot YAML file strictly.
func LoadNetboot(path string) (NetbootFile, error) {
	var f NetbootFile
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("reading netboot config: %w", err)
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return f, fmt.Errorf("netboot config %s: %w", path, err)
	}
	return f, nil
}

// config turns the file into netboot's Config; publicURL is the default
// HTTP base.
func (f NetbootFile) config(publicURL string) (netboot.Config, error) {
	base := f.HTTPBase
	if base == "" {
		base = publicURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return netboot.Config{}, fmt.Errorf("netboot http_base %q: want a URL like http://10.0.0.1:7480", base)
	}
	c := netboot.Config{HTTPBase: u, TFTP: f.TFTP, RA: f.RA, IPXEDir: f.IPXEDir, InstallerDir: f.InstallerDir}
	if c.InstallerDir == "" {
		c.InstallerDir = "build/installer"
	}
	if f.HoldInterval != "" {
		d, err := time.ParseDuration(f.HoldInterval)
		if err != nil || d < time.Second || d > time.Hour {
			return netboot.Config{}, fmt.Errorf("netboot hold_interval %q: want a duration from 1s to 1h, like 30s", f.HoldInterval)
		}
		c.HoldInterval = d
	}
	for _, i := range f.Interfaces {
		ifc := netboot.Interface{Name: i.Name, Address: i.Address, Mode: i.Mode}
		for _, p := range i.Pools {
			ifc.Pools = append(ifc.Pools, dhcp.Pool{Subnet: p.Subnet, Ranges: []dhcp.Range{{From: p.Start, To: p.End}}, Router: p.Router, DNS: p.DNS})
		}
		for _, r := range i.Reservations {
			ifc.Reservations = append(ifc.Reservations, dhcp.Reservation{MAC: r.MAC.HardwareAddr, Addr: r.Addr})
		}
		c.Interfaces = append(c.Interfaces, ifc)
	}
	return c, c.Validate()
}
