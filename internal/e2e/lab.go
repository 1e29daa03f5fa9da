package e2e

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/internal/lab"
)

// Lab is a running lab: a private network, a real `ingot serve` with full
// DHCP on it, and the Debian image in its catalog.
type Lab struct {
	Net    *lab.Net
	Client *client.Client
	URL    string
	Image  string // catalog ID of the Debian image
	Work   string
	srv    *exec.Cmd
	args   []string // how srv was started, for Restart
	Log    *os.File // the server's output
}

// Start brings the lab up in work (a directory it may fill).
func Start(ctx context.Context, a Artifacts, work string) (*Lab, error) {
	n, err := lab.NewNet(ctx)
	if err != nil {
		return nil, err
	}
	l := &Lab{Net: n, Work: work}
	if err := l.start(ctx, a); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *Lab) start(ctx context.Context, a Artifacts) error {
	data := filepath.Join(l.Work, "data")
	if err := a.SeedData(ctx, data); err != nil {
		return err
	}
	nb, err := l.netbootFile(a.InstallerDir)
	if err != nil {
		return err
	}
	if err := l.serve(a.Ingot, data, nb); err != nil {
		return err
	}
	img, err := l.registerImage(ctx, data)
	if err != nil {
		return err
	}
	l.Image = img.ID
	return l.catalog(ctx, img.Firmware)
}

// serve starts ingot serve on the lab network and waits until it answers.
func (l *Lab) serve(ingot, data, netboot string) error {
	listen, err := freePort(l.Net.Host)
	if err != nil {
		return err
	}
	l.URL = "http://" + listen
	if l.Log, err = os.Create(filepath.Join(l.Work, "serve.log")); err != nil {
		return err
	}
	tokFile := filepath.Join(data, "admin.token.txt")
	l.args = []string{ingot, "serve", "--data", data, "--listen", listen, "--public-url", l.URL,
		"--netboot", netboot, "--admin-token-file", tokFile, "--poll", "500ms"}
	if err := l.startServer(); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if tok, err := os.ReadFile(tokFile); err == nil {
			l.Client = client.New(l.URL, strings.TrimSpace(string(tok)))
			if l.Client.Health(context.Background()) == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("ingot serve did not come up; see %s", l.Log.Name())
}

func (l *Lab) startServer() error {
	l.srv = exec.Command(l.args[0], l.args[1:]...)
	l.srv.Stdout, l.srv.Stderr = l.Log, l.Log
	l.srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return l.srv.Start()
}

// Restart kills the server with SIGKILL, as a crash would, and starts it
// again on the same data directory and address.
func (l *Lab) Restart(ctx context.Context) error {
	_ = l.srv.Process.Kill()
	_ = l.srv.Wait()
	if err := l.startServer(); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if l.Client.Health(ctx) == nil {
			return nil
		}
	}
	return fmt.Errorf("ingot serve did not come back; see %s", l.Log.Name())
}

// registerImage adds the seeded image to the catalog through the API: the
// server re-signs the same manifest with the same key, so the ID holds.
func (l *Lab) registerImage(ctx context.Context, data string) (api.Image, error) {
	ids, _ := filepath.Glob(filepath.Join(data, "manifests", "[0-9a-f]*"))
	if len(ids) != 1 {
		return api.Image{}, errors.New("the image cache holds no manifest")
	}
	signed, err := os.ReadFile(ids[0])
	if err != nil {
		return api.Image{}, err
	}
	key, err := manifest.LoadOrCreateSigningKey(filepath.Join(data, "signing.key"))
	if err != nil {
		return api.Image{}, err
	}
	m, err := manifest.Verify(signed, key.Public().(ed25519.PublicKey))
	if err != nil {
		return api.Image{}, err
	}
	img, err := l.Client.RegisterImage(ctx, *m)
	if err == nil && img.ID != manifest.Digest(signed) {
		err = fmt.Errorf("registered %s, want the built image %s", img.ID, manifest.Digest(signed))
	}
	return img, err
}

// catalog creates the image set "debian" (a variant for each firmware the
// image boots), the hostgroup "lab" and its twin "lab-kexec", whose hosts
// start their installed system by kexec.
func (l *Lab) catalog(ctx context.Context, fw api.Firmware) error {
	var vs []api.Variant
	for _, f := range []api.Firmware{api.FirmwareBIOS, api.FirmwareUEFI} {
		if fw.Fits(f) {
			vs = append(vs, api.Variant{Arch: api.ArchAMD64, Firmware: f, Image: l.Image})
		}
	}
	_, err := l.Client.ImageSets().Create(ctx, api.ImageSet{Name: "debian", Variants: vs})
	if err != nil {
		return err
	}
	g := api.Hostgroup{Name: "lab", ImageSet: "debian", Template: api.Template{
		Hostname: api.StringRule{Allowed: true}, SSHKeys: api.ListRule{Allowed: true, Max: 4}}}
	if _, err := l.Client.Hostgroups().Create(ctx, g); err != nil {
		return err
	}
	g.Name, g.FirstBoot.Kexec = "lab-kexec", true
	_, err = l.Client.Hostgroups().Create(ctx, g)
	return err
}

// netbootFile writes the server's netboot config: full DHCP on the lab
// segment (the host end of its veth) and router advertisements.
func (l *Lab) netbootFile(installerDir string) (string, error) {
	b := l.Net.Subnet.Addr().As4()
	ip := func(last byte) string { return netip.AddrFrom4([4]byte{b[0], b[1], b[2], last}).String() }
	cfg := fmt.Sprintf("installer_dir: %s\nra: true\nhold_interval: 3s\ninterfaces:\n  - name: %s\n    address: %s\n    mode: full\n    pools: [{subnet: %s, start: %s, end: %s}]\n",
		installerDir, l.Net.HostIf, l.Net.Host, l.Net.Subnet, ip(100), ip(150))
	f := filepath.Join(l.Work, "netboot.yaml")
	return f, os.WriteFile(f, []byte(cfg), 0o644)
}

// VM starts a VM with an empty disk of size bytes, booting the network
// first: once installed, Ingot answers sanboot (BIOS) or "exit 1" (UEFI,
// the firmware goes on to the disk).
func (l *Lab) VM(ctx context.Context, name string, fw lab.Firmware, mac net.HardwareAddr, size int64) (*lab.VM, error) {
	dir := filepath.Join(l.Work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	disk := filepath.Join(dir, "disk.raw")
	f, err := os.Create(disk)
	if err != nil {
		return nil, err
	}
	f.Close()
	if err := os.Truncate(disk, size); err != nil {
		return nil, err
	}
	return l.Net.StartVM(ctx, lab.VMConfig{Name: name, Dir: dir, Firmware: fw, MemoryMiB: 1024,
		Disks: []lab.Disk{{Path: disk, Serial: strings.ToUpper(name), BootIndex: 2}},
		NICs:  []lab.NIC{{MAC: mac, BootIndex: 1}}})
}

// Close stops the server and removes the lab network.
func (l *Lab) Close() {
	if l.srv != nil && l.srv.Process != nil {
		_ = l.srv.Process.Signal(syscall.SIGTERM)
		_ = l.srv.Wait()
	}
	if l.Log != nil {
		l.Log.Close()
	}
	l.Net.Close()
}

func freePort(addr netip.Addr) (string, error) {
	ln, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
