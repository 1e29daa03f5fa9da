package ipxe

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRender(t *testing.T) {
	base := mustURL(t, "http://10.99.0.1:7480")
	tests := []struct {
		name string
		s    Script
		want string
	}{
		{"installer", Script{Decision: api.BootInstaller, Base: base, Host: "web-001", Deployment: "dep-42", Token: "tok_abc-DEF="}, `#!ipxe
echo Ingot: installer for web-001
kernel http://10.99.0.1:7480/boot/installer/vmlinuz initrd=initramfs.cpio.gz ingot.server=http://10.99.0.1:7480 ingot.mode=install ingot.deployment=dep-42 ingot.token=tok_abc-DEF= console=ttyS0 console=tty0
initrd http://10.99.0.1:7480/boot/installer/initramfs.cpio.gz
boot
`},
		{"discovery with prefix and args", Script{Decision: api.BootDiscovery, Base: mustURL(t, "https://ingot.example/x/"), KernelArgs: []string{"quiet"}, Console: []string{"console=ttyS1,115200"}}, `#!ipxe
echo Ingot: discovery
kernel https://ingot.example/x/boot/installer/vmlinuz initrd=initramfs.cpio.gz ingot.server=https://ingot.example/x ingot.mode=discovery quiet console=ttyS1,115200
initrd https://ingot.example/x/boot/installer/initramfs.cpio.gz
boot
`},
		{"local bios", Script{Decision: api.BootLocal, Firmware: api.FirmwareBIOS, Base: base}, "#!ipxe\necho Ingot: booting from local disk\nsanboot --no-describe --drive 0x80\n"},
		{"local uefi", Script{Decision: api.BootLocal, Firmware: api.FirmwareUEFI, Base: base, Host: "db1"}, "#!ipxe\necho Ingot: booting from local disk for db1\nexit 1\n"},
		{"hold", Script{Decision: api.BootHold, Base: base, HoldInterval: 5 * time.Second,
			Self: ScriptURL(base, net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}, "efi", "x86_64")}, `#!ipxe
:hold
echo Ingot: on hold, asking again in 5 s
sleep 5
chain --replace --autofree http://10.99.0.1:7480/boot/ipxe?arch=x86_64&mac=52%3A54%3A00%3A12%3A34%3A56&platform=efi || goto hold
goto hold
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, string(got)); d != "" {
				t.Errorf("script (-want +got):\n%s", d)
			}
		})
	}
}

func TestRenderRefusesInjection(t *testing.T) {
	base := mustURL(t, "http://10.0.0.1")
	ok := Script{Decision: api.BootInstaller, Base: base, Deployment: "d1", Token: "t"}
	tests := []struct {
		name string
		edit func(*Script)
	}{
		{"newline in host", func(s *Script) { s.Host = "a\nshell" }},
		{"semicolon in host", func(s *Script) { s.Host = "a;shell" }},
		{"expansion in token", func(s *Script) { s.Token = "${root-path}" }},
		{"space in deployment", func(s *Script) { s.Deployment = "d1 || shell" }},
		{"and in kernel arg", func(s *Script) { s.KernelArgs = []string{"&&"} }},
		{"space in kernel arg", func(s *Script) { s.KernelArgs = []string{"a b"} }},
		{"empty kernel arg", func(s *Script) { s.KernelArgs = []string{""} }},
		{"query in base", func(s *Script) { s.Base = mustURL(t, "http://h/?x=1") }},
		{"dollar in base", func(s *Script) { s.Base = &url.URL{Scheme: "http", Host: "h", Path: "/${x}"} }},
		{"ftp base", func(s *Script) { s.Base = mustURL(t, "ftp://h/") }},
		{"nil base", func(s *Script) { s.Base = nil }},
		{"no token", func(s *Script) { s.Token = "" }},
		{"raw query in self", func(s *Script) { s.Self = &url.URL{Scheme: "http", Host: "h", RawQuery: "a b;shell"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.edit(&s)
			if _, err := Render(s); err == nil {
				t.Fatal("Render accepted an unsafe value")
			} else if tt.name != "ftp base" && tt.name != "query in base" && !errors.Is(err, ErrUnsafe) {
				t.Logf("error: %v", err)
			}
		})
	}
	if _, err := Render(ok); err != nil {
		t.Fatalf("baseline: %v", err)
	}
}

// commands returns each script line's tokens, failing on anything iPXE
// would treat as more than a plain word of the intended command.
func commands(t *testing.T, script string) [][]string {
	t.Helper()
	if !strings.HasPrefix(script, "#!ipxe\n") || !strings.HasSuffix(script, "\n") {
		t.Fatalf("script lacks header or final newline: %q", script)
	}
	var out [][]string
	for _, line := range strings.Split(strings.TrimSuffix(script, "\n"), "\n")[1:] {
		if strings.ContainsAny(line, "$#\r\t\"'\\\x00;|") && !strings.HasSuffix(line, " || goto hold") {
			t.Fatalf("line with iPXE syntax: %q", line)
		}
		out = append(out, strings.Split(line, " "))
	}
	return out
}

func FuzzRender(f *testing.F) {
	f.Add("installer", "http://10.0.0.1:7480", "web-1", "dep1", "tok", "quiet")
	f.Add("discovery", "https://h/x", "", "", "", "a=b")
	f.Add("hold", "http://h", "h", "d", "t", "${x}")
	f.Add("local", "http://h\n", "a;b", "d||e", "t&&u", "x\ny")
	f.Fuzz(func(t *testing.T, decision, base, host, dep, token, arg string) {
		u, err := url.Parse(base)
		if err != nil {
			return
		}
		s := Script{Decision: api.BootDecision(decision), Firmware: api.FirmwareBIOS, Base: u, Host: host,
			Deployment: api.DeploymentID(dep), Token: token, KernelArgs: []string{arg}}
		out, err := Render(s)
		if err != nil {
			return
		}
		cmds := commands(t, string(out))
		var names []string
		for _, c := range cmds {
			names = append(names, c[0])
		}
		want := map[api.BootDecision][]string{
			api.BootInstaller: {"echo", "kernel", "initrd", "boot"},
			api.BootDiscovery: {"echo", "kernel", "initrd", "boot"},
			api.BootLocal:     {"echo", "sanboot"},
			api.BootHold:      {":hold", "echo", "sleep", "chain", "goto"},
		}[s.Decision]
		if d := cmp.Diff(want, names); d != "" {
			t.Fatalf("commands (-want +got):\n%s\n%s", d, out)
		}
		if s.Decision == api.BootInstaller || s.Decision == api.BootDiscovery {
			b := strings.TrimSuffix(u.String(), "/")
			wantKernel := []string{"kernel", b + "/boot/installer/vmlinuz", "initrd=initramfs.cpio.gz", "ingot.server=" + b}
			if s.Decision == api.BootInstaller {
				wantKernel = append(wantKernel, "ingot.mode=install", "ingot.deployment="+dep, "ingot.token="+token)
			} else {
				wantKernel = append(wantKernel, "ingot.mode=discovery")
			}
			wantKernel = append(wantKernel, arg, "console=ttyS0", "console=tty0")
			if d := cmp.Diff(wantKernel, cmds[1]); d != "" {
				t.Fatalf("kernel line (-want +got):\n%s", d)
			}
		}
	})
}
