package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/internal/lab"
	"ingot.dev/ingot/internal/testenv"
)

// TestInstallFaults: a VM whose link is cut mid-stream while the server
// is killed and restarted still finishes; then a corrupted chunk makes the
// next deployment fail naming the chunk, compensated, the host left on the
// installer; a retry then deploys it.
func TestInstallFaults(t *testing.T) {
	testenv.SkipShort(t, "end to end: builds a Debian image and boots VMs")
	lab.Require(t, "debootstrap", "mkfs.ext4", "mcopy", "grub-mkimage")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	l := startLab(t, ctx)
	c := l.Client

	m := &machine{name: "e2e-faults", fw: lab.BIOS, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xf0, 0x01}, mark: map[string]time.Duration{}}
	deploy(t, c, []*machine{m})
	m.vm, m.on = startVM(t, ctx, l, m.name, m.fw, m.mac, 3<<30), time.Now()
	waitStreaming(t, ctx, c, m.dep)
	if _, err := m.vm.QMP(ctx, "set_link", map[string]any{"name": "n0", "up": false}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	if err := l.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.vm.QMP(ctx, "set_link", map[string]any{"name": "n0", "up": true}); err != nil {
		t.Fatal(err)
	}
	follow(t, ctx, c, m)
	checkDeployed(t, c, l.Net, m)
	t.Logf("link cut and server killed mid-stream: deployed anyway in %v", m.get("phoned"))

	digest, restore := corruptChunk(t, filepath.Join(l.Work, "data", "chunks"))
	bad := &machine{name: "e2e-corrupt", fw: lab.BIOS, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0xe2, 0xf0, 0x02}, mark: map[string]time.Duration{}}
	deploy(t, c, []*machine{bad})
	bad.vm, bad.on = startVM(t, ctx, l, bad.name, bad.fw, bad.mac, 3<<30), time.Now()
	d := waitEnd(t, ctx, c, bad.dep)
	checkCorrupt(t, c, d, digest)

	// Retry: the chunk repaired, a new deployment of the same host. The VM
	// rebooted after the failure into iPXE's hold loop, and now gets the
	// installer without anyone touching it.
	restore()
	res, err := c.Deploy(ctx, api.DeployRequest{Hosts: []string{bad.name}, Timeout: "30m"})
	if err != nil {
		t.Fatal(err)
	}
	bad.dep, bad.on, bad.mark = res.Deployments[0].ID, time.Now(), map[string]time.Duration{}
	follow(t, ctx, c, bad)
	checkDeployed(t, c, l.Net, bad)
	t.Logf("retry after the failed deployment: deployed in %v", bad.get("phoned"))
}

func waitStreaming(t *testing.T, ctx context.Context, c *client.Client, id api.DeploymentID) {
	for ctx.Err() == nil {
		d, err := c.Deployments().Get(ctx, string(id))
		if err == nil && slices.ContainsFunc(d.Steps, func(s api.Step) bool { return s.Progress != nil && s.Progress.Bytes > 0 }) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal("the installer never started streaming")
}

func waitEnd(t *testing.T, ctx context.Context, c *client.Client, id api.DeploymentID) api.Deployment {
	for ctx.Err() == nil {
		d, err := c.Deployments().Get(ctx, string(id))
		if err == nil && d.State.Terminal() {
			return d
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("deployment %s did not end", id)
	return api.Deployment{}
}

// corruptChunk replaces one stored chunk with a damaged copy (a new file:
// the original is hard-linked from the image cache) and returns its digest
// and a function that puts the good chunk back.
func corruptChunk(t *testing.T, dir string) (string, func()) {
	var path string
	_ = filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() && path == "" && len(de.Name()) == 64 {
			path = p
		}
		return nil
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	good := slices.Clone(b)
	b[len(b)/2] ^= 0xff
	replace := func(content []byte) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	replace(b)
	return filepath.Base(path), func() { replace(good) }
}

// checkCorrupt: failed, naming the chunk; the done steps undone in
// reverse; the host boots as before and is not marked deployed.
func checkCorrupt(t *testing.T, c *client.Client, d api.Deployment, digest string) {
	if d.State != api.DeploymentFailed || d.Error == nil || !strings.Contains(d.Error.Message, digest[:12]) {
		t.Fatalf("deployment with a corrupt chunk: %s, error %+v; want failed naming chunk %s", d.State, d.Error, digest[:12])
	}
	evs, err := c.Events(context.Background(), d.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var undone []string
	for _, e := range evs {
		if e.Type == "step.undone" {
			undone = append(undone, d.Steps[e.Step].Name)
		}
	}
	if want := []string{"wait-installer", "set-boot", "installer-token", "validate"}; !slices.Equal(undone, want) {
		t.Errorf("undone %v, want %v", undone, want)
	}
	// The installer had started: the disk is in an unknown state, so the
	// host stays on the installer (held in iPXE) for a retry.
	h, err := c.Hosts().Get(context.Background(), d.Host)
	if err != nil || h.State != api.HostFailed || h.Boot != api.BootInstaller {
		t.Errorf("host after the failed deployment: state %s boot %s (%v), want failed, installer", h.State, h.Boot, err)
	}
	t.Logf("corrupt chunk: %s", d.Error.Error())
}
