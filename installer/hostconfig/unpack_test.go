package hostconfig

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ingot.dev/ingot/installer/plan"
)

type entry struct {
	name, data, link string
	mode             int64
	typ              byte
	size             int64 // header size when it differs from len(data)
}

func layer(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Typeflag: e.typ, Linkname: e.link, Size: int64(len(e.data))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if e.size != 0 {
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg && e.size == 0 {
			if _, err := tw.Write([]byte(e.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil && !strings.Contains(err.Error(), "missed writing") {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUnpack(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := Unpack(root, bytes.NewReader(layer(t,
		entry{name: "etc/hostname", data: "web-1\n", mode: 0o644},
		entry{name: "root/.ssh/authorized_keys", data: "ssh-ed25519 K\n", mode: 0o600},
		entry{name: "etc/systemd/system/multi-user.target.wants/systemd-networkd.service", link: "/lib/systemd/system/systemd-networkd.service", typ: tar.TypeSymlink, mode: 0o777},
	)))
	if err != nil || n != 3 {
		t.Fatalf("Unpack = %d, %v", n, err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc/hostname")); err != nil || string(b) != "web-1\n" {
		t.Errorf("/etc/hostname = %q, %v; want the layer's", b, err)
	}
	for p, want := range map[string]os.FileMode{"root/.ssh": 0o700, "root/.ssh/authorized_keys": 0o600, "etc/hostname": 0o644} {
		if fi, err := os.Stat(filepath.Join(root, p)); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s mode = %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	if l, err := os.Readlink(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/systemd-networkd.service")); err != nil || l != "/lib/systemd/system/systemd-networkd.service" {
		t.Errorf("symlink = %q, %v", l, err)
	}
}

// A bad entry anywhere in the layer is refused before any file is written.
func TestUnpackRefuses(t *testing.T) {
	good := entry{name: "etc/hostname", data: "x\n", mode: 0o644}
	for name, tt := range map[string]struct {
		bad  entry
		want string
	}{
		"parent path":   {entry{name: "../etc/passwd", data: "x", mode: 0o644}, "not a clean relative path"},
		"absolute path": {entry{name: "/etc/passwd", data: "x", mode: 0o644}, "not a clean relative path"},
		"unclean path":  {entry{name: "etc//passwd", data: "x", mode: 0o644}, "not a clean relative path"},
		"device":        {entry{name: "dev/sda", typ: tar.TypeBlock, mode: 0o600}, "files and symlinks only"},
		"hard link":     {entry{name: "etc/shadow", typ: tar.TypeLink, link: "etc/passwd"}, "files and symlinks only"},
		"too big":       {entry{name: "etc/big", size: MaxLayerFile + 1, mode: 0o644}, "more than a config file may be"},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			_, err := Unpack(root, bytes.NewReader(layer(t, good, tt.bad)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unpack = %v, want an error saying %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(root, "etc/hostname")); !os.IsNotExist(err) {
				t.Errorf("etc/hostname was written before the bad entry was seen (%v)", err)
			}
		})
	}
}

// A layered render leaves the network to the layer, unless the
// deployment's own config has addresses.
func TestRenderLayered(t *testing.T) {
	files, err := Render(planConfigPhoneHome(), Options{Layered: true, Firstboot: "/bin/true"})
	if err != nil {
		t.Fatal(err)
	}
	has := func(files []File, p string) bool {
		return slices.ContainsFunc(files, func(f File) bool { return f.Path == p })
	}
	const dhcp = "/etc/systemd/network/90-ingot-dhcp.network"
	if has(files, dhcp) || !has(files, FirstbootToken) {
		t.Errorf("layered render: DHCP default %t (want false), phone-home token %t (want true)", has(files, dhcp), has(files, FirstbootToken))
	}
	plain, err := Render(planConfigPhoneHome(), Options{Firstboot: "/bin/true"})
	if err != nil || !has(plain, dhcp) {
		t.Errorf("plain render: %v, DHCP default %t; want it there", err, has(plain, dhcp))
	}
}

func planConfigPhoneHome() plan.HostConfig {
	return plan.HostConfig{PhoneHome: "http://s/v1/deployments/d/signals", PhoneHomeToken: "tok"}
}
