package httpboot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/netboot/boot"
)

type resolver map[string]boot.Target

func (r resolver) Resolve(_ context.Context, mac net.HardwareAddr) (boot.Target, error) {
	if mac.String() == "52:54:00:00:00:ee" {
		return boot.Target{}, errors.New("store down")
	}
	return r[mac.String()], nil
}

func server(t *testing.T) *httptest.Server {
	t.Helper()
	base, _ := url.Parse("http://10.9.0.1:7480")
	other, _ := url.Parse("http://ingot.example:8080/x")
	r := resolver{
		"52:54:00:00:00:01": {Known: true, Host: "web-1", Decision: api.BootInstaller, Deployment: "dep-1", Token: "tok-1"},
		"52:54:00:00:00:02": {Known: true, Decision: api.BootLocal},
		"52:54:00:00:00:03": {Known: true, Decision: api.BootHold},
		"52:54:00:00:00:04": {Known: true, Host: "bad;host", Decision: api.BootLocal},
		"52:54:00:00:00:05": {Known: true, Decision: api.BootInstaller, Deployment: "d", Token: "t", BaseURL: other},
	}
	h, err := New(Config{Base: base,
		Installer: fstest.MapFS{"vmlinuz": {Data: []byte("KERNEL-0123456789")}, "initramfs.cpio.gz": {Data: []byte("INITRD")}, "other": {Data: []byte("no")}},
		IPXE:      fstest.MapFS{"ipxe.efi": {Data: []byte("EFI")}, "undionly.kpxe": {Data: []byte("KPXE")}},
	}, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestHandler(t *testing.T) {
	s := server(t)
	tests := []struct {
		name, path string
		header     string // Range
		status     int
		contains   []string
		absent     []string
	}{
		{"unknown MAC boots discovery", "/boot/ipxe?mac=52:54:00:99:99:99&platform=pcbios&arch=i386", "", 200,
			[]string{"ingot.mode=discovery", "kernel http://10.9.0.1:7480/boot/installer/vmlinuz initrd=initramfs.cpio.gz ingot.server=http://10.9.0.1:7480 ", "\nboot\n"}, []string{"ingot.token"}},
		{"path form", "/boot/ipxe/52-54-00-99-99-99", "", 200, []string{"ingot.mode=discovery"}, nil},
		{"installer", "/boot/ipxe?mac=52:54:00:00:00:01&platform=efi&arch=x86_64", "", 200,
			[]string{"ingot.mode=install ingot.deployment=dep-1 ingot.token=tok-1 console=ttyS0 console=tty0", "echo Ingot: installer for web-1"}, nil},
		{"installer on the target's base URL", "/boot/ipxe?mac=52:54:00:00:00:05", "", 200,
			[]string{"kernel http://ingot.example:8080/x/boot/installer/vmlinuz", "ingot.server=http://ingot.example:8080/x "}, nil},
		{"local BIOS", "/boot/ipxe?mac=52:54:00:00:00:02&platform=pcbios", "", 200, []string{"sanboot --no-describe --drive 0x80"}, []string{"exit"}},
		{"local UEFI", "/boot/ipxe?mac=52:54:00:00:00:02&platform=efi", "", 200, []string{"\nexit 1\n"}, []string{"sanboot"}},
		{"hold re-chains itself", "/boot/ipxe?mac=52:54:00:00:00:03&platform=efi&arch=x86_64", "", 200,
			[]string{"chain --replace --autofree http://10.9.0.1:7480/boot/ipxe?arch=x86_64&mac=52%3A54%3A00%3A00%3A00%3A03&platform=efi || goto hold", "sleep 30"}, nil},
		{"odd platform is not echoed", "/boot/ipxe?mac=52:54:00:00:00:03&platform=x;y&arch=$(x)", "", 200, []string{"/boot/ipxe?mac=52%3A54%3A00%3A00%3A00%3A03 ||"}, []string{"x;y", "$("}},
		{"unsafe host refused", "/boot/ipxe?mac=52:54:00:00:00:04", "", 500, nil, []string{"bad;host"}},
		{"bad MAC", "/boot/ipxe?mac=nope", "", 400, nil, nil},
		{"resolver down", "/boot/ipxe?mac=52:54:00:00:00:ee", "", 503, nil, nil},
		{"kernel", "/boot/installer/vmlinuz", "", 200, []string{"KERNEL-0123456789"}, nil},
		{"kernel range", "/boot/installer/vmlinuz", "bytes=7-10", 206, []string{"0123"}, []string{"KERNEL"}},
		{"initramfs", "/boot/installer/initramfs.cpio.gz", "", 200, []string{"INITRD"}, nil},
		{"only the installer files", "/boot/installer/other", "", 404, nil, nil},
		{"ipxe.efi", "/boot/ipxe.efi", "", 200, []string{"EFI"}, nil},
		{"missing binary", "/boot/snponly.efi", "", 404, nil, nil},
		{"traversal", "/boot/%2e%2e/%2e%2e/etc/passwd", "", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL+tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Range", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			for _, c := range tt.contains {
				if !strings.Contains(string(body), c) {
					t.Errorf("body lacks %q:\n%s", c, body)
				}
			}
			for _, c := range tt.absent {
				if strings.Contains(string(body), c) {
					t.Errorf("body has %q:\n%s", c, body)
				}
			}
		})
	}
}
