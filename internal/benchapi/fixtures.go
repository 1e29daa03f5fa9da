package main

import (
	"context"
	"fmt"
	"net"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
)

const (
	groups   = 10
	imageSet = "bench-debian-12"
)

// createCatalog creates one image, one image set and the hostgroups.
func createCatalog(ctx context.Context, c *client.Client) error {
	img, err := c.RegisterImage(ctx, client.ZeroManifest("bench-debian-12", api.ArchAMD64, api.FirmwareUEFI, 2<<30))
	if err != nil {
		return fmt.Errorf("registering the bench image: %w", err)
	}
	set := api.ImageSet{Name: imageSet, Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: img.ID}}}
	if _, err := c.ImageSets().Create(ctx, set); err != nil {
		return fmt.Errorf("creating image set %s: %w", set.Name, err)
	}
	for g := range groups {
		if _, err := c.Hostgroups().Create(ctx, hostgroup(g)); err != nil {
			return fmt.Errorf("creating hostgroup %s: %w", groupName(g), err)
		}
	}
	return nil
}

func groupName(g int) string { return fmt.Sprintf("bench-g%02d", g) }

func hostgroup(g int) api.Hostgroup {
	return api.Hostgroup{
		Name: groupName(g), ImageSet: imageSet, Layout: "single", BootPath: api.BootPXE,
		Template: api.Template{Hostname: api.StringRule{Allowed: true, Required: true, Pattern: `node-[0-9]{5}`}},
	}
}

func hostName(i int) string { return fmt.Sprintf("node-%05d", i) }

// host is the i-th benchmark host: one MAC, two on odd i, all unique.
func host(i int) api.Host {
	h := api.Host{Name: hostName(i), Hostgroup: groupName(i % groups), Values: api.HostValues{Hostname: hostName(i)}}
	h.MACs = []api.MAC{mac(i, 0)}
	if i%2 == 1 {
		h.MACs = append(h.MACs, mac(i, 1))
	}
	return h
}

// mac is the n-th MAC of host i, locally administered.
func mac(i, n int) api.MAC {
	return api.MAC{HardwareAddr: net.HardwareAddr{0x02, 0x42, byte(n), byte(i >> 16), byte(i >> 8), byte(i)}}
}
