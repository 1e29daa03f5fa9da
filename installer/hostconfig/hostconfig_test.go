package hostconfig

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name string
		c    plan.HostConfig
		o    Options
	}{
		{
			name: "dhcp",
			c:    plan.HostConfig{Hostname: "web-001", SSHKeys: []string{"ssh-ed25519 AAAA admin@x"}},
		},
		{
			name: "static",
			c: plan.HostConfig{
				Hostname: "db-1.example.com",
				Addresses: []api.StaticAddress{
					{Address: netip.MustParsePrefix("10.0.0.5/24"), Gateway: netip.MustParseAddr("10.0.0.1"), DNS: []netip.Addr{netip.MustParseAddr("10.0.0.2")}},
					{Interface: "eth1", Address: netip.MustParsePrefix("192.168.5.5/24")},
					{Interface: "52:54:00:AA:BB:CC", Address: netip.MustParsePrefix("fd00::5/64")},
				},
				Files: []api.File{{Path: "/etc/motd", Content: "hello\n"}, {Path: "/usr/local/bin/x", Content: "#!/bin/sh\n", Mode: 0o755}},
			},
			o: Options{BootMAC: "52:54:00:12:34:56"},
		},
		{
			name: "cloud-init and phone-home",
			c: plan.HostConfig{
				Hostname: "app-7", UserData: "#cloud-config\nruncmd: [touch /x]\n",
				PhoneHome: "http://10.0.0.1:7480/v1/deployments/dep-9/signals", PhoneHomeToken: "ph-secret",
			},
			o: Options{Deployment: "dep-9", Firstboot: "/proc/self/exe"},
		},
		{
			name: "packages",
			c:    plan.HostConfig{Hostname: "p", Packages: []string{"nginx", "curl"}, RunCmd: []string{"systemctl enable nginx"}},
			o:    Options{Deployment: "dep-2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := Render(tt.c, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(files)
			golden := filepath.Join("testdata", strings.ReplaceAll(tt.name, " ", "-")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("Render() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func dump(files []File) string {
	var b strings.Builder
	for _, f := range files {
		switch {
		case f.Link != "":
			fmt.Fprintf(&b, "== %s -> %s\n", f.Path, f.Link)
		case f.Src != "":
			fmt.Fprintf(&b, "== %s %04o copy of %s\n", f.Path, f.Mode, f.Src)
		default:
			fmt.Fprintf(&b, "== %s %04o\n%s", f.Path, f.Mode, f.Data)
		}
	}
	return b.String()
}

func TestRenderRejectsBadPath(t *testing.T) {
	for _, p := range []string{"etc/x", "/etc/../../x", "/etc//x"} {
		if _, err := Render(plan.HostConfig{Files: []api.File{{Path: p}}}, Options{}); err == nil {
			t.Errorf("Render(file %q) succeeded", p)
		}
	}
}

func TestWrite(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/shadow"), []byte("root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "installer")
	if err := os.WriteFile(bin, []byte("ELF"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := plan.HostConfig{Hostname: "h1", SSHKeys: []string{"ssh-ed25519 K"}, PasswordHash: "$6$s$h",
		PhoneHome: "http://s/v1/deployments/d/signals", PhoneHomeToken: "tok"}
	if err := Write(root, c, Options{Firstboot: bin}); err != nil {
		t.Fatal(err)
	}
	if err := Write(root, c, Options{Firstboot: bin}); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	checks := map[string]string{
		"etc/hostname":                   "h1\n",
		"etc/shadow":                     "root:$6$s$h:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
		"root/.ssh/authorized_keys":      "ssh-ed25519 K\n",
		"usr/local/sbin/ingot-firstboot": "ELF",
		"etc/ingot/firstboot.token":      "tok",
	}
	for p, want := range checks {
		got, err := os.ReadFile(filepath.Join(root, p))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, "root/.ssh")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("/root/.ssh mode = %v, %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Join(root, "etc/ingot/firstboot.token")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token mode = %v, %v", fi.Mode(), err)
	}
	if l, err := os.Readlink(filepath.Join(root, FirstbootWants)); err != nil || l != FirstbootUnit {
		t.Errorf("unit enablement link = %q, %v", l, err)
	}
}

func TestSetPassword(t *testing.T) {
	got := string(SetPassword([]byte("daemon:*:1:0:99999:7:::\n"), "root", "$6$x"))
	if got != "daemon:*:1:0:99999:7:::\nroot:$6$x:19000:0:99999:7:::\n" {
		t.Errorf("SetPassword(no root) = %q", got)
	}
}
