package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/netboot/boot"
	"ingot.dev/ingot/netboot/dhcp"
	"ingot.dev/ingot/netboot/tftp"
)

func (knownAll) Resolve(context.Context, net.HardwareAddr) (boot.Target, error) {
	return boot.Target{Known: true}, nil
}

// runServer runs proxy DHCP and TFTP on loopback and prints their addresses.
func runServer(ctx context.Context, ipxeDir string, out io.Writer) error {
	lo := netip.MustParseAddrPort("127.0.0.1:0")
	d, err := dhcp.New(dhcp.Config{ServerAddr: netip.MustParseAddr("127.0.0.1"), Listen: lo, ListenPXE: lo,
		HTTPBase: base(), TFTP: true, ReplyToSource: true, Workers: 4}, knownAll{}, nil, logger())
	if err != nil {
		return err
	}
	t, err := tftp.New(tftp.Config{Listen: lo, Root: os.DirFS(ipxeDir)}, logger())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "ready %s %s\n", d.Addr(), t.Addr())
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.Serve(ctx) })
	g.Go(func() error { return t.Serve(ctx) })
	return g.Wait()
}
