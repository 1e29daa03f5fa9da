package redfish

import (
	"context"
	"net"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/stmcginnis/gofish/schemas"
)

// Inventory reads what the BMC knows about its machine: identity, NICs
// (EthernetInterfaces) and disks (Storage, where exposed), and the BMC
// firmware. 3 + NICs + storage controllers + drives calls; more on BMCs
// that do not expose the collections, fewer never.
func (c *Client) Inventory(ctx context.Context) (Inventory, error) {
	const call = "read inventory"
	sys, err := c.system(ctx, call)
	if err != nil {
		return Inventory{}, err
	}
	inv := Inventory{
		HostName:     sys.HostName,
		Serial:       sys.SerialNumber,
		Manufacturer: sys.Manufacturer,
		Model:        sys.Model,
		SKU:          sys.SKU,
		BIOSVersion:  sys.BiosVersion,
		PowerState:   PowerState(sys.PowerState),
	}
	if id, err := uuid.Parse(sys.UUID); err == nil {
		inv.UUID = id
	}
	if n := sys.ProcessorSummary.Count; n != nil {
		inv.CPUs = int(*n)
	}
	if m := sys.MemorySummary.TotalSystemMemoryGiB; m != nil {
		inv.MemoryGiB = *m
	}
	if inv.NICs, err = c.nics(call, sys); err != nil {
		return Inventory{}, err
	}
	if inv.Disks, err = c.disks(call, sys); err != nil {
		return Inventory{}, err
	}
	inv.BMCFirmware = c.firmware(ctx, call)
	return inv, nil
}

func (c *Client) nics(call string, sys *schemas.ComputerSystem) ([]NIC, error) {
	ifaces, err := sys.EthernetInterfaces()
	if err != nil {
		return nil, c.fail(call, err)
	}
	var out []NIC
	for _, e := range ifaces {
		mac := e.PermanentMACAddress
		if mac == "" {
			mac = e.MACAddress
		}
		hw, err := net.ParseMAC(mac)
		if err != nil {
			continue // a BMC that shows no usable MAC for this port
		}
		n := NIC{Name: e.ID, MAC: hw, LinkUp: e.LinkStatus == schemas.LinkUpLinkStatus}
		if e.SpeedMbps != nil {
			n.SpeedMbps = *e.SpeedMbps
		}
		out = append(out, n)
	}
	// gofish fetches members concurrently: put them back in a stable order.
	slices.SortFunc(out, func(a, b NIC) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (c *Client) disks(call string, sys *schemas.ComputerSystem) ([]Disk, error) {
	storage, err := sys.Storage()
	if err != nil {
		if Status(err) == 404 {
			return nil, nil
		}
		return nil, c.fail(call, err)
	}
	var out []Disk
	for _, s := range storage {
		drives, err := s.Drives()
		if err != nil {
			return nil, c.fail(call, err)
		}
		for _, d := range drives {
			disk := Disk{Name: d.ID, Model: d.Model, Serial: d.SerialNumber, Media: string(d.MediaType), Protocol: string(d.Protocol)}
			if d.CapacityBytes != nil {
				disk.SizeBytes = int64(*d.CapacityBytes)
			}
			out = append(out, disk)
		}
	}
	slices.SortFunc(out, func(a, b Disk) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// firmware reads the manager's firmware version; a BMC without a manager
// is not an error for inventory.
func (c *Client) firmware(ctx context.Context, call string) string {
	path, err := c.managerPath(ctx, call)
	if err != nil {
		return ""
	}
	m, err := schemas.GetObject[schemas.Manager](c.gofish(ctx, call), path)
	if err != nil {
		return ""
	}
	c.mu.Lock()
	c.quirks.Firmware = m.FirmwareVersion
	c.mu.Unlock()
	return m.FirmwareVersion
}
