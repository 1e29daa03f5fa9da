package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/cmdline"
	"ingot.dev/ingot/installer/hostconfig"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/server/hostimage"
)

// TestInstallToFile runs "ingot-installer run" in install mode against the
// fake server, writing the image to a 128 MiB disk image file and the host
// config into a directory.
func TestInstallToFile(t *testing.T) {
	img := chunkImage(t, makeDiskImage(t), "amd64", "bios")
	srv := &fakeServer{t: t, img: img, token: "tok-1", plan: plan.Plan{
		Deployment: "dep-1", Host: "web-001", Reboot: "poweroff",
		Image:  plan.ImageSource{ID: img.id, PublicKey: img.pubPEM, Firmware: "bios"},
		Layout: plan.Layout{Preset: "single"},
		Config: plan.HostConfig{Hostname: "web-001", SSHKeys: []string{"ssh-ed25519 AAAA test"},
			PhoneHome: "http://x/v1/deployments/dep-1/signals", PhoneHomeToken: "ph"},
	}}
	out, disk, root := installToFile(t, srv)
	if !strings.Contains(out, "ingot: next: poweroff") {
		t.Errorf("console:\n%s", out)
	}
	if names := srv.signalNames(); !slices.Contains(names, "installer.done") || !slices.Contains(names, "installer.progress") {
		t.Errorf("signals = %v, want progress and done", names)
	}
	if done := srv.signalData("installer.done"); !strings.Contains(done, "writing image") {
		t.Errorf("installer.done carries no console log: %s", done)
	}
	if srv.inventory == nil {
		t.Error("no inventory posted")
	}
	// The image is on the disk, and the GPT was moved to the disk's end.
	if out := mustRun(t, "sgdisk", "-v", disk); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v:\n%s", out)
	}
	if out := mustRun(t, "sgdisk", "-i2", disk); !strings.Contains(out, "Last sector: 262110") {
		t.Errorf("root partition not grown:\n%s", out)
	}
	for p, want := range map[string]string{"etc/hostname": "web-001\n", "root/.ssh/authorized_keys": "ssh-ed25519 AAAA test\n", "etc/ingot/firstboot.token": "ph"} {
		if b, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", p, b, err, want)
		}
	}
}

// installToFile runs "ingot-installer run" against srv (deployment dep-1,
// token tok-1), writing to a 128 MiB disk image file and the host config
// into a directory with an /etc/shadow; it returns the console, the disk
// and the directory.
func installToFile(t *testing.T, srv *fakeServer) (console, disk, root string) {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	disk = filepath.Join(t.TempDir(), "target.img")
	os.WriteFile(disk, nil, 0o644)
	os.Truncate(disk, 128<<20)
	root = t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/shadow"), []byte("root:*:1:::::\n"), 0o640)

	line := "ingot.server=" + hs.URL + " ingot.token=tok-1 ingot.deployment=dep-1"
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"run", "-cmdline", line, "-target", disk, "-root", root, "-sys", fakeSys(t, 128<<20)}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out.String(), errb.String())
	}
	return out.String(), disk, root
}

// TestInstallHostImage installs a host image: the server's config layer
// (made by server/hostimage from the host's config) lands in the installed
// system, and the plan adds only the deployment's phone-home and password.
func TestInstallHostImage(t *testing.T) {
	host := plan.HostConfig{Hostname: "web-002", SSHKeys: []string{"ssh-ed25519 AAAA layer"},
		Addresses: []api.StaticAddress{{Interface: "52:54:00:00:00:02", Address: netip.MustParsePrefix("192.0.2.2/24")}}}
	files, err := hostconfig.Render(host, hostconfig.Options{Deployment: "host-web-002"})
	if err != nil {
		t.Fatal(err)
	}
	layer, err := hostimage.Layer(files, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	img := chunkImage(t, makeDiskImage(t), "amd64", "bios").withLayer(t, layer)
	srv := &fakeServer{t: t, img: img, token: "tok-1", plan: plan.Plan{
		Deployment: "dep-1", Host: "web-002", Reboot: "poweroff",
		Image:  plan.ImageSource{ID: img.id, PublicKey: img.pubPEM, Firmware: "bios"},
		Layout: plan.Layout{Preset: "single"},
		Config: plan.HostConfig{PasswordHash: "$6$s$h", PhoneHome: "http://x/v1/deployments/dep-1/signals", PhoneHomeToken: "ph"},
	}}
	out, _, root := installToFile(t, srv)
	if !strings.Contains(out, "config layer applied") {
		t.Errorf("console does not mention the config layer:\n%s", out)
	}
	for p, want := range map[string]string{
		"etc/hostname":                           "web-002\n",
		"root/.ssh/authorized_keys":              "ssh-ed25519 AAAA layer\n",
		"etc/systemd/network/10-ingot-0.network": "[Match]\nMACAddress=52:54:00:00:00:02\n\n[Network]\nAddress=192.0.2.2/24\n",
		"etc/ingot/firstboot.token":              "ph",
		"etc/shadow":                             "root:$6$s$h:1:::::\n",
	} {
		if b, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", p, b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/network/90-ingot-dhcp.network")); !os.IsNotExist(err) {
		t.Errorf("the DHCP default was written next to the layer's static address (%v)", err)
	}

}

// TestInstallFailures checks that bad input fails before any write and is
// reported as installer.failed with a hint.
func TestInstallFailures(t *testing.T) {
	img := chunkImage(t, makeDiskImage(t), "amd64", "uefi")
	// A host image whose config layer chunk was changed on the server.
	tampered := chunkImage(t, makeDiskImage(t), "amd64", "bios").withLayer(t, []byte("not even a tar, and not what was signed"))
	tampered.chunks[tampered.m.Payloads[len(tampered.m.Payloads)-1].Chunks[0].Hash.String()] = []byte("tampered")
	tests := []struct {
		name    string
		img     *testImage
		sel     plan.DiskSelector
		token   string
		wantErr string
	}{
		{name: "selector matches nothing", sel: plan.DiskSelector{MinBytes: 1 << 50}, wantErr: "no disk matches"},
		{name: "firmware mismatch", wantErr: "is for uefi firmware but the machine booted bios"},
		{name: "bad token", token: "wrong", wantErr: "403"},
		{name: "tampered config layer", img: tampered, wantErr: "config layer of image test-debian+host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := img
			if tt.img != nil {
				img = tt.img
			}
			srv := &fakeServer{t: t, img: img, token: "tok", plan: plan.Plan{
				Deployment: "dep-2", Host: "h", Image: plan.ImageSource{ID: img.id, PublicKey: img.pubPEM},
				Layout: plan.Layout{Preset: "single", Disk: tt.sel},
			}}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			disk := filepath.Join(t.TempDir(), "target.img")
			os.WriteFile(disk, nil, 0o644)
			os.Truncate(disk, 128<<20)
			tok := "tok"
			if tt.token != "" {
				tok = tt.token
			}
			line := "ingot.server=" + hs.URL + " ingot.token=" + tok + " ingot.deployment=dep-2"
			var out, errb bytes.Buffer
			// A fake /sys with one 128 MiB BIOS disk, so the selector has something to refuse.
			err := run(context.Background(), []string{"run", "-cmdline", line, "-target", disk, "-sys", fakeSys(t, 128<<20)}, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run error = %v, want %q", err, tt.wantErr)
			}
			if b, _ := os.ReadFile(disk); !bytes.Equal(b[:1<<20], make([]byte, 1<<20)) {
				t.Error("the disk was written to")
			}
			if tt.token != "" {
				return
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if len(srv.signals) == 0 || srv.signals[len(srv.signals)-1].Name != "installer.failed" {
				t.Fatalf("signals = %+v, want installer.failed", srv.signals)
			}
			var data map[string]string
			json.Unmarshal(srv.signals[len(srv.signals)-1].Data, &data)
			if !strings.Contains(data["message"], tt.wantErr) || data["hint"] == "" {
				t.Errorf("installer.failed data = %v", data)
			}
			if !strings.Contains(data["log"], "ingot:") {
				t.Errorf("installer.failed carries no console log: %q", data["log"])
			}
		})
	}
}

func fakeSys(t *testing.T, size int64) string {
	sys := t.TempDir()
	d := filepath.Join(sys, "block/vda")
	os.MkdirAll(filepath.Join(d, "queue"), 0o755)
	os.WriteFile(filepath.Join(d, "size"), []byte(itoa(int(size/512))), 0o644)
	return sys
}

// TestDiscoveryInstallsInTheSameBoot boots in discovery mode; the server
// answers install with a deployment and its token, and the installer
// installs without a reboot, presenting that token (never printing it).
func TestDiscoveryInstallsInTheSameBoot(t *testing.T) {
	img := chunkImage(t, makeDiskImage(t), "amd64", "bios")
	srv := &fakeServer{t: t, img: img, token: "ingot_inst_secret", plan: plan.Plan{
		Deployment: "dep-7", Host: "web-007", Reboot: "reboot",
		Image:  plan.ImageSource{ID: img.id, PublicKey: img.pubPEM, Firmware: "bios"},
		Layout: plan.Layout{Preset: "single"}, Config: plan.HostConfig{Hostname: "web-007"},
	}, reply: plan.DiscoveryReply{Host: "web-007", Action: "install", Deployment: "dep-7", Token: "ingot_inst_secret"}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	disk := filepath.Join(t.TempDir(), "target.img")
	os.WriteFile(disk, nil, 0o644)
	os.Truncate(disk, 128<<20)

	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"run", "-cmdline", "ingot.server=" + hs.URL + " ingot.mode=discovery",
		"-target", disk, "-root", t.TempDir(), "-sys", fakeSys(t, 128<<20)}, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "installing deployment dep-7 in this boot") || !strings.Contains(out.String(), "ingot: next: reboot") {
		t.Errorf("console:\n%s", out.String())
	}
	if names := srv.signalNames(); !slices.Contains(names, "installer.done") {
		t.Errorf("signals = %v, want installer.done", names)
	}
	if strings.Contains(out.String()+errb.String(), "ingot_inst_secret") {
		t.Error("the installer token was printed")
	}
}

// TestDiscoveryBootsTheInstalledSystem: a deployed host booting the medium
// again is told "local"; the installer loads the kernel of the installed
// system (found through the disk's ESP grub.cfg) for kexec.
func TestDiscoveryBootsTheInstalledSystem(t *testing.T) {
	disk := makeDiskImage(t)
	srv := &fakeServer{t: t, reply: plan.DiscoveryReply{Host: "web-007", Action: "local"}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	esp := t.TempDir()
	os.MkdirAll(filepath.Join(esp, "grub"), 0o755)
	os.WriteFile(filepath.Join(esp, "grub/grub.cfg"), []byte("menuentry 'd' {\n\tlinux /vmlinuz root=UUID=42 ro\n\tinitrd /initrd.img\n}\n"), 0o644)
	var loaded []string
	var out bytes.Buffer
	j := job{cfg: cmdline.Config{Server: hs.URL, Mode: cmdline.ModeDiscovery}, target: disk,
		localMounter: espMounter{disk + "1": esp},
		kexec:        func(k, i, c string) error { loaded = append(loaded, k, i, c); return nil },
		log:          slog.New(slog.DiscardHandler), out: &out}
	next, err := j.do(context.Background())
	if err != nil || next != "kexec" {
		t.Fatalf("next %q, %v; console:\n%s", next, err, out.String())
	}
	want := []string{filepath.Join(esp, "vmlinuz"), filepath.Join(esp, "initrd.img"), "root=UUID=42 ro"}
	if !slices.Equal(loaded, want) {
		t.Errorf("loaded %q, want %q", loaded, want)
	}
	// Nothing installed: a clear error, no kexec.
	j.localMounter = espMounter{}
	if _, err := j.do(context.Background()); err == nil || !strings.Contains(err.Error(), "no installed system found") {
		t.Errorf("empty disk: %v", err)
	}
}

// espMounter hands out a directory per partition device.
type espMounter map[string]string

func (m espMounter) Mount(_ context.Context, dev, _ string) (string, func() error, error) {
	if d, ok := m[dev]; ok {
		return d, func() error { return nil }, nil
	}
	return "", nil, os.ErrNotExist
}
