// Package main is the netboot load generator behind `make bench-netboot`.
// It starts Ingot's DHCP (proxy mode) and TFTP servers in a child process on
// loopback and measures proxy offers/s at 16, 64 and 256 concurrent PXE
// clients, drops in a 1,000-client burst, 200 concurrent TFTP transfers of
// ipxe.efi, and the server's CPU time per offer (from /proc/<pid>/stat).
//
// proxyDHCP normally broadcasts its offers; on loopback the server runs
// with dhcp.Config.ReplyToSource so each offer goes back to the socket that
// asked. Everything else (parsing, rate limiting, resolving, building the
// offer) is the production path. Exit status is non-zero only on errors.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	serve := flag.Bool("serve", false, "run the servers (internal: the bench starts itself with it)")
	ipxeDir := flag.String("ipxe", "/usr/lib/ipxe", "directory with ipxe.efi")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *serve {
		err = runServer(ctx, *ipxeDir, os.Stdout)
	} else {
		err = run(ctx, *ipxeDir, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-netboot:", err)
		os.Exit(1)
	}
}

// knownAll says every MAC is a known host: the bench measures the answer
// path, not the unknown-MAC limit.
type knownAll struct{}

func run(ctx context.Context, ipxeDir string, out io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "-serve", "-ipxe", ipxeDir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var dhcpAddr, tftpAddr netip.AddrPort
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "ready" {
			dhcpAddr, _ = netip.ParseAddrPort(f[1])
			tftpAddr, _ = netip.ParseAddrPort(f[2])
			break
		}
	}
	if !dhcpAddr.IsValid() {
		return errors.New("server did not start")
	}
	go io.Copy(io.Discard, stdout)
	b := bench{pid: cmd.Process.Pid, dhcp: dhcpAddr, tftp: tftpAddr, out: out, ipxe: ipxeDir}
	return b.all(ctx)
}

func base() *url.URL {
	u, _ := url.Parse("http://127.0.0.1:7480")
	return u
}

func logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
