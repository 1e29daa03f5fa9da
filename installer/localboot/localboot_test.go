package localboot

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/internal/testenv"
)

// ingotGRUB is the ESP's grub.cfg of an Ingot image (imagebuild/assemble).
const ingotGRUB = `serial --unit=0 --speed=115200
set timeout=1
menuentry 'debian' {
	linux /vmlinuz root=UUID=0b6f-11 ro console=ttyS0
	initrd /initrd.img
}
`

// debianGRUB is the shape of grub-mkconfig's output on Debian 12.
const debianGRUB = `### BEGIN /etc/grub.d/10_linux ###
function gfxmode {
	set gfxpayload="${1}"
}
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux $menuentry_id_option 'gnulinux-simple-1' {
	load_video
	if [ x$feature_all_video_module = xy ]; then
	  insmod all_video
	fi
	search --no-floppy --fs-uuid --set=root 1a2b
	echo	'Loading Linux 6.1.0-18-amd64 ...'
	linux	(hd0,gpt2)/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1a2b ro  console=tty0 $vt_handoff
	echo	'Loading initial ramdisk ...'
	initrd	/boot/intel-ucode.img /boot/initrd.img-6.1.0-18-amd64
}
submenu 'Advanced options for Debian GNU/Linux' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-17-amd64' {
		linux	/boot/vmlinuz-6.1.0-17-amd64 root=UUID=1a2b ro
	}
}
`

func TestParseGRUB(t *testing.T) {
	tests := []struct {
		name    string
		cfg     string
		want    Entry
		wantErr bool
	}{
		{name: "ingot ESP", cfg: ingotGRUB, want: Entry{Kernel: "/vmlinuz", Initrd: "/initrd.img", Cmdline: "root=UUID=0b6f-11 ro console=ttyS0"}},
		{name: "debian", cfg: debianGRUB, want: Entry{Kernel: "/boot/vmlinuz-6.1.0-18-amd64", Initrd: "/boot/initrd.img-6.1.0-18-amd64", Cmdline: "root=UUID=1a2b ro console=tty0"}},
		{name: "no menuentry", cfg: "linux /vmlinuz root=x\n", wantErr: true},
		{name: "entry without kernel", cfg: "menuentry 'x' {\n\tchainloader +1\n}\nmenuentry 'y' {\n\tlinux /vmlinuz\n}\n", wantErr: true},
		{name: "empty", cfg: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGRUB([]byte(tt.cfg))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %t", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entry (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseGRUB(f *testing.F) {
	f.Add([]byte(ingotGRUB))
	f.Add([]byte(debianGRUB))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseGRUB(b)
		if err == nil && (e.Kernel == "" || e.Kernel[0] != '/') {
			t.Fatalf("kernel %q is not an absolute path", e.Kernel)
		}
	})
}

// dirMounter hands out a directory per partition device.
type dirMounter map[string]string

func (m dirMounter) Mount(_ context.Context, dev, _ string) (string, func() error, error) {
	if d, ok := m[dev]; ok {
		return d, func() error { return nil }, nil
	}
	return "", nil, errors.New("cannot mount " + dev)
}

type loaded struct{ kernel, initrd, cmdline string }

// TestLoad finds the installed system on a GPT disk file: on the ESP when
// its grub.cfg is there, else on the root; and says so when neither is.
func TestLoad(t *testing.T) {
	if _, err := exec.LookPath("sgdisk"); err != nil {
		testenv.Skip(t, "sgdisk is not installed (Debian package gdisk)")
	}
	dir := t.TempDir()
	dev := filepath.Join(dir, "disk")
	os.WriteFile(dev, nil, 0o644)
	os.Truncate(dev, 32<<20)
	if out, err := exec.Command("sgdisk", "-n1:2048:+8M", "-t1:EF00", "-n2:0:0", "-t2:8300", dev).CombinedOutput(); err != nil {
		t.Fatalf("sgdisk: %v\n%s", err, out)
	}
	// The root partition "device" (disk2) carries an ext4 superblock magic.
	sb := make([]byte, 4096)
	sb[1024+56], sb[1024+57] = 0x53, 0xef
	os.WriteFile(dev+"2", sb, 0o644)
	esp, root := t.TempDir(), t.TempDir()
	write := func(base, p, s string) {
		os.MkdirAll(filepath.Join(base, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(base, p), []byte(s), 0o644)
	}
	write(root, "boot/grub/grub.cfg", debianGRUB)
	m := dirMounter{dev + "1": esp, dev + "2": root}
	var got []loaded
	load := func(k, i, c string) error { got = append(got, loaded{k, i, c}); return nil }

	if _, err := Load(context.Background(), []string{dev}, m, load); err != nil {
		t.Fatal(err)
	}
	write(esp, "grub/grub.cfg", ingotGRUB)
	if _, err := Load(context.Background(), []string{dev}, m, load); err != nil {
		t.Fatal(err)
	}
	want := []loaded{
		{filepath.Join(root, "boot/vmlinuz-6.1.0-18-amd64"), filepath.Join(root, "boot/initrd.img-6.1.0-18-amd64"), "root=UUID=1a2b ro console=tty0"},
		{filepath.Join(esp, "vmlinuz"), filepath.Join(esp, "initrd.img"), "root=UUID=0b6f-11 ro console=ttyS0"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(loaded{})); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}
	_, err := Load(context.Background(), []string{dev, filepath.Join(dir, "missing")}, dirMounter{}, load)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("no mountable system: %v, want ErrNotFound", err)
	}
}
