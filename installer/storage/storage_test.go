package storage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/clevis"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", file, diff)
	}
}

// recorder is a fake Runner: it records commands and fails the one whose
// text contains failOn.
type recorder struct {
	cmds   []string
	failOn string
}

var tmpKey = regexp.MustCompile(`/\S*ingot-key-\d+`)

func (r *recorder) Run(_ context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	line := tmpKey.ReplaceAllString(name+" "+strings.Join(args, " "), "KEYFILE")
	if len(stdin) > 0 {
		line += " <stdin>"
	}
	r.cmds = append(r.cmds, line)
	if r.failOn != "" && strings.Contains(line, r.failOn) {
		return nil, errors.New("injected failure")
	}
	return nil, nil
}

type fakeBinder struct{ err error }

func (f fakeBinder) Encrypt(context.Context, clevis.Policy, []byte) (*clevis.JWE, error) {
	if f.err != nil {
		return nil, f.err
	}
	return clevis.ParseCompact("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiY2xldmlzIjp7InBpbiI6InNzcyJ9fQ..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA")
}

func mirrorCIS(t *testing.T) layout.StoragePlan {
	t.Helper()
	l, err := layout.Preset("mirror+cis", &layout.Encryption{Threshold: 2,
		Tang: []layout.Tang{{URL: "http://tang:7500", Thumbprints: []string{"x8R9Jd0Y0gRJ4vYXcYQd3l2w8w6bnTbVbWq2mA4bEdc"}}},
		TPM2: &layout.TPM2{}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := layout.Plan(l, plan.Inventory{Firmware: api.FirmwareUEFI, TPM: plan.TPM{Present: true, Version: "2.0"},
		Disks: []plan.Disk{{Name: "vda", Path: "/dev/vda", SizeBytes: 32 << 30}, {Name: "vdb", Path: "/dev/vdb", SizeBytes: 32 << 30}}})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestApply(t *testing.T) {
	tests := []struct {
		name   string
		failOn string
		binder fakeBinder
	}{
		{name: "mirror+cis"},
		{name: "token import fails", failOn: "token import"},
		{name: "tang unreachable", binder: fakeBinder{err: errors.New("tang http://tang:7500/adv unreachable")}},
		{name: "lvcreate fails", failOn: "lvcreate --yes --wipesignatures y --name var_tmp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{failOn: tt.failOn}
			steps := Steps(mirrorCIS(t), Config{Runner: r, Binder: tt.binder, TempDir: t.TempDir()})
			err := Apply(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), steps)
			out := strings.Join(r.cmds, "\n") + "\n"
			if err != nil {
				out += "error: " + err.Error() + "\n"
			}
			if (tt.failOn != "" || tt.binder.err != nil) != (err != nil) {
				t.Fatalf("Apply error = %v", err)
			}
			if err == nil && len(Recoveries(steps)["crypt"]) != 43 {
				t.Errorf("no recovery passphrase for crypt: %v", Recoveries(steps))
			}
			golden(t, "apply-"+strings.ReplaceAll(tt.name, " ", "-")+".txt", out)
		})
	}
}

func TestFiles(t *testing.T) {
	sp := mirrorCIS(t)
	ids := UUIDs{FS: map[string]string{}, LUKS: map[string]string{}, MD: map[string]string{}}
	for i, fs := range sp.Filesystems {
		ids.FS[fs.Device] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	for i, v := range sp.LUKS {
		ids.LUKS[v.Device] = fmt.Sprintf("11111111-0000-4000-8000-%012d", i)
	}
	for i, a := range sp.Arrays {
		ids.MD[a.Device] = fmt.Sprintf("2222222%d:00000000:00000000:00000000", i)
	}
	for name, got := range map[string]string{"fstab": Fstab(sp, ids), "crypttab": Crypttab(sp, ids), "mdadm.conf": MdadmConf(sp, ids)} {
		t.Run(name, func(t *testing.T) { golden(t, "mirror-cis."+name, got) })
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestRelease(t *testing.T) {
	r := &recorder{}
	if err := Release(context.Background(), r, mirrorCIS(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "release.txt", strings.Join(r.cmds, "\n")+"\n")

	// A failure does not stop the rest: every array is still stopped.
	r = &recorder{failOn: "cryptsetup close"}
	err := Release(context.Background(), r, mirrorCIS(t))
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Errorf("Release error = %v, want the cryptsetup failure", err)
	}
	if n := strings.Count(strings.Join(r.cmds, "\n"), "mdadm --stop"); n != 2 {
		t.Errorf("after a failed close, %d arrays stopped, want 2:\n%s", n, strings.Join(r.cmds, "\n"))
	}
}
