package netboot

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/netboot/boot"
	"ingot.dev/ingot/netboot/dhcp"
)

type unknown struct{}

func (unknown) Resolve(context.Context, net.HardwareAddr) (boot.Target, error) {
	return boot.Target{}, nil
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestValidate(t *testing.T) {
	base, _ := url.Parse("http://10.0.0.1:7480")
	ok := Config{HTTPBase: base, Interfaces: []Interface{{Name: "br0", Address: netip.MustParseAddr("10.0.0.1")}}}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no base", func(c *Config) { c.HTTPBase = nil }, "HTTPBase"},
		{"no name", func(c *Config) { c.Interfaces[0].Name = "" }, "Interfaces[0].Name"},
		{"twice", func(c *Config) { c.Interfaces = append(c.Interfaces, c.Interfaces[0]) }, "listed twice"},
		{"v6 address", func(c *Config) { c.Interfaces[0].Address = netip.MustParseAddr("fe80::1") }, "ServerAddr"},
		{"bad mode", func(c *Config) { c.Interfaces[0].Mode = "x" }, "Mode"},
		{"full without pools", func(c *Config) { c.Interfaces[0].Mode = dhcp.ModeFull }, "at least one pool"},
		{"RA without interfaces", func(c *Config) { c.Interfaces = nil; c.RA = true }, "RA"},
		{"missing ipxe dir", func(c *Config) { c.TFTP = true; c.IPXEDir = "/nonexistent" }, "IPXEDir"},
		{"http without installer", func(c *Config) { c.HTTPListen = netip.MustParseAddrPort("127.0.0.1:0") }, "InstallerDir"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("empty: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			c.Interfaces = append([]Interface(nil), ok.Interfaces...)
			tt.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// An empty configuration starts nothing and returns at once.
func TestServeEmpty(t *testing.T) {
	done := make(chan error)
	go func() { done <- Serve(context.Background(), Config{}, unknown{}, nil, discard) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("Serve with an empty config kept running")
	}
}

// TFTP and HTTP on loopback run under Serve and stop with its context.
func TestServeLoopback(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"vmlinuz", "initramfs.cpio.gz", "ipxe.efi"} {
		os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	base, _ := url.Parse("http://" + addr.String())
	cfg := Config{HTTPBase: base, HTTPListen: addr, InstallerDir: dir, IPXEDir: dir, TFTP: true,
		TFTPListen: netip.MustParseAddrPort("127.0.0.1:0")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- Serve(ctx, cfg, unknown{}, nil, discard) }()
	var body []byte
	for i := 0; i < 50; i++ {
		resp, err := http.Get(base.String() + "/boot/ipxe?mac=52:54:00:00:00:01&platform=efi")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(string(body), "ingot.mode=discovery") {
		t.Errorf("script: %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
}
