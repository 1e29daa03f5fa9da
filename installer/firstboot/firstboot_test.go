package firstboot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/installer/hostconfig"
)

func TestCollect(t *testing.T) {
	got := Collect("testdata/root")
	want := Report{
		OSID: "debian", OSVersion: "12", Kernel: "6.1.0-56-amd64", Hostname: "web-001",
		Mounts: []Mount{
			{Target: "/", Source: "/dev/vda2", FSType: "ext4", Options: "rw,relatime"},
			{Target: "/proc", Source: "proc", FSType: "proc", Options: "rw"},
			{Target: "/boot/efi", Source: "/dev/vda1", FSType: "vfat", Options: "rw"},
			{Target: "/mnt/my disk", Source: "/dev/sdb1", FSType: "ext4", Options: "rw"},
		},
		TPMPCRs: map[string]string{
			"0": "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969",
			"7": "0000000000000000000000000000000000000000000000000000000000000000",
		},
		SSHHostKeys:    []string{"ecdsa-sha2-nistp256 AAAAE2 root@web-001", "ssh-ed25519 AAAAC3Nz root@web-001"},
		AuthorizedKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIl8T1Bo1fmnuE4nPGGW9yHhpFM2dtvyODAbhQtlnvsm ops@example"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Collect() mismatch (-want +got):\n%s", d)
	}
}

func TestRun(t *testing.T) {
	root := t.TempDir()
	if err := exec.Command("cp", "-a", "testdata/root/.", root).Run(); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(root, hostconfig.FirstbootToken)
	wants := filepath.Join(root, hostconfig.FirstbootWants)
	for _, dir := range []string{filepath.Dir(tok), filepath.Dir(wants)} {
		if err := os.MkdirAll(dir, 0o755); err != nil { // git keeps no empty directories
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(tok, []byte("ph-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostconfig.FirstbootUnit, wants); err != nil {
		t.Fatal(err)
	}

	var body struct {
		Name string `json:"name"`
		Data Report `json:"data"`
	}
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Authorization") != "Bearer ph-token" || r.URL.Path != "/v1/deployments/d1/signals" {
			t.Errorf("%s %s with %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		json.NewDecoder(r.Body).Decode(&body)
	}))
	defer srv.Close()
	err := Run(context.Background(), Config{URL: srv.URL + "/v1/deployments/d1/signals", TokenFile: hostconfig.FirstbootToken, Root: root, Backoff: 1})
	if err != nil {
		t.Fatal(err)
	}
	if body.Name != "firstboot" || body.Data.OSID != "debian" || body.Data.Hostname != "web-001" || len(body.Data.Mounts) != 4 {
		t.Errorf("posted %+v", body)
	}
	for _, p := range []string{tok, wants} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists after Run (%v)", p, err)
		}
	}
}
