package vmtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/netboot"
	"ingot.dev/ingot/netboot/boot"
	"ingot.dev/ingot/netboot/dhcp"
	"ingot.dev/ingot/netboot/httpboot"
	"ingot.dev/ingot/netboot/tftp"
)

// unknownHosts knows no one: every VM boots discovery.
type unknownHosts struct{}

func (unknownHosts) Resolve(context.Context, net.HardwareAddr) (boot.Target, error) {
	return boot.Target{}, nil
}

// record collects what the servers did, by MAC and path.
type record struct {
	mu      sync.Mutex
	replies []dhcp.Event
	fetches []httpboot.Fetch
	tftp    []tftp.Transfer
	events  []string
}

func (r *record) metrics() netboot.Metrics {
	return netboot.Metrics{
		DHCP: func(e dhcp.Event) {
			r.mu.Lock()
			r.events = append(r.events, fmt.Sprintf("%s %s -> %q drop %q arch %v", e.MAC, e.Request, e.Reply, e.Drop, e.Arch))
			r.mu.Unlock()
			if e.Reply != "" {
				r.mu.Lock()
				r.replies = append(r.replies, e)
				r.mu.Unlock()
			}
		},
		HTTP: func(f httpboot.Fetch) { r.mu.Lock(); r.fetches = append(r.fetches, f); r.mu.Unlock() },
		TFTP: func(t tftp.Transfer) { r.mu.Lock(); r.tftp = append(r.tftp, t); r.mu.Unlock() },
	}
}

func (r *record) fetched(path string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.fetches {
		if f.Path == path && f.Status == 200 {
			return true
		}
	}
	return false
}

func (r *record) bootFileGiven(mac net.HardwareAddr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.replies {
		if e.MAC.String() == mac.String() {
			return true
		}
	}
	return false
}

func (r *record) tftpOK(file string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tftp {
		if t.File == file && t.Err == nil {
			return true
		}
	}
	return false
}

func installerDir(t *testing.T) string {
	dir, _ := filepath.Abs("../../build/installer")
	for _, f := range []string{"vmlinuz", "initramfs.cpio.gz"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing: run make installer", f)
			}
			testenv.Skip(t, "%s missing: run `make installer` first", f)
		}
	}
	return dir
}

func freePort(t *testing.T, addr netip.Addr) netip.AddrPort {
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

func TestBoot(t *testing.T) {
	lab.Require(t, "dnsmasq")
	inst := installerDir(t)
	tests := []struct {
		name     string
		firmware lab.Firmware
		rom      string
		mode     dhcp.Mode // proxy runs next to dnsmasq playing the site server
		tftpFile string    // firmware PXE fetches this over TFTP first
	}{
		{"bios-ipxe-rom-proxydhcp-next-to-site-dhcp", lab.BIOS, "", dhcp.ModeProxy, ""},
		{"uefi-ipxe-rom-full-dhcp", lab.UEFI, "", dhcp.ModeFull, ""},
		{"uefi-own-pxe-chains-ipxe.efi-full-dhcp", lab.UEFI, "none", dhcp.ModeFull, "ipxe.efi"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			n, err := lab.NewNet(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			mac := net.HardwareAddr{0x52, 0x54, 0x00, 0x5e, 0x00, byte(i + 1)}
			var leases string
			if tt.mode == dhcp.ModeProxy {
				leases = siteDHCP(t, ctx, n)
			}
			rec := &record{}
			httpAddr := freePort(t, n.Host)
			base, _ := url.Parse("http://" + httpAddr.String())
			sub := n.Subnet.Addr().As4()
			cfg := netboot.Config{
				Interfaces: []netboot.Interface{{Name: n.HostIf, Address: n.Host, Mode: tt.mode}},
				HTTPBase:   base, HTTPListen: httpAddr, InstallerDir: inst, TFTP: true,
				TFTPListen: netip.AddrPortFrom(n.Host, 69), RA: true, Metrics: rec.metrics(),
			}
			if tt.mode == dhcp.ModeFull {
				cfg.Interfaces[0].Pools = []dhcp.Pool{{Subnet: n.Subnet, Ranges: []dhcp.Range{{
					From: netip.AddrFrom4([4]byte{sub[0], sub[1], sub[2], 100}), To: netip.AddrFrom4([4]byte{sub[0], sub[1], sub[2], 150})}}}}
			}
			log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
			sctx, stop := context.WithCancel(ctx)
			served := make(chan error, 1)
			go func() { served <- netboot.Serve(sctx, cfg, unknownHosts{}, &dhcp.MemLeases{}, log) }()
			defer func() {
				stop()
				if err := <-served; err != nil {
					t.Errorf("netboot.Serve: %v", err)
				}
			}()

			start := time.Now()
			vm, err := n.StartVM(ctx, lab.VMConfig{Name: fmt.Sprintf("nb%d", i), Dir: t.TempDir(), Firmware: tt.firmware,
				NICs: []lab.NIC{{MAC: mac, BootIndex: 1, ROM: tt.rom}}})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Stop()
			wctx, wcancel := context.WithTimeout(ctx, 90*time.Second)
			defer wcancel()
			_, _, err = vm.Console.Wait(wctx, regexp.MustCompile(`Command line:.*ingot\.mode=discovery`), 0)
			if err != nil {
				rec.mu.Lock()
				t.Logf("DHCP events:\n%s", strings.Join(rec.events, "\n"))
				rec.mu.Unlock()
				t.Fatalf("installer kernel never started in discovery mode: %v\nconsole:\n%s", err, tail(vm.Console.Text()))
			}
			defer func() {
				if t.Failed() {
					rec.mu.Lock()
					t.Logf("DHCP events:\n%s", strings.Join(rec.events, "\n"))
					rec.mu.Unlock()
				}
			}()
			t.Logf("kernel in discovery mode after %v", time.Since(start).Round(time.Second))
			if !rec.bootFileGiven(mac) {
				t.Error("Ingot's DHCP gave the VM no boot file")
			}
			for _, p := range []string{"/boot/installer/vmlinuz", "/boot/installer/initramfs.cpio.gz"} {
				if !rec.fetched(p) {
					t.Errorf("%s not fetched over HTTP", p)
				}
			}
			if tt.tftpFile != "" && !rec.tftpOK(tt.tftpFile) {
				t.Errorf("%s not fetched over TFTP", tt.tftpFile)
			}
			if leases != "" {
				data, _ := os.ReadFile(leases)
				if !strings.Contains(string(data), mac.String()) {
					t.Errorf("the site DHCP server gave the VM no lease:\n%s", data)
				}
			}
		})
	}
}

// siteDHCP runs dnsmasq in the lab namespace as the site's DHCP server (no
// PXE options) and returns its lease file.
func siteDHCP(t *testing.T, ctx context.Context, n *lab.Net) string {
	dir := t.TempDir()
	sub := n.Subnet.Addr().As4()
	leases := filepath.Join(dir, "leases")
	cmd := n.Command(ctx, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
		"--interface="+n.Bridge, "--bind-interfaces", "--pid-file="+filepath.Join(dir, "pid"),
		fmt.Sprintf("--dhcp-range=%d.%d.%d.50,%d.%d.%d.90,255.255.255.0,1h", sub[0], sub[1], sub[2], sub[0], sub[1], sub[2]),
		"--dhcp-leasefile="+leases, "--log-facility=-")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("dnsmasq: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return leases
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
