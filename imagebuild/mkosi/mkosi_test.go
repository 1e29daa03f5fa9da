package mkosi_test

import (
	"os"
	"os/exec"
	"testing"

	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/debootstrap"
	"ingot.dev/ingot/imagebuild/imagebuildtest"
	"ingot.dev/ingot/imagebuild/internal/testimage"
	"ingot.dev/ingot/imagebuild/mkosi"
	"ingot.dev/ingot/internal/testenv"
)

func TestConformance(t *testing.T) {
	testimage.Require(t)
	if _, err := exec.LookPath("mkosi"); err != nil {
		testenv.Skip(t, "mkosi is missing")
	}
	mirror, err := debootstrap.MirrorFor(os.DirFS("/"), "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	// WithDocs=yes: mkosi 14 deletes docs through systemd-nspawn, which
	// needs a running systemd on the build host.
	conf := "[Distribution]\nDistribution=debian\nRelease=bookworm\nMirror=" + mirror + "\n" +
		"[Content]\nWithDocs=yes\nPackages=linux-image-cloud-amd64,systemd-sysv,udev,initramfs-tools\n"
	imagebuildtest.Run(t, mkosi.New(mkosi.Config{Epoch: testimage.Epoch}), imagebuildtest.Fixture{
		Recipe: imagebuild.Recipe{Name: "mkosi-test", Backend: mkosi.Name, Config: conf, Cmdline: "console=ttyS0"},
	})
}

func TestValidateFormat(t *testing.T) {
	r := imagebuild.Recipe{Name: "m", Backend: mkosi.Name, Config: "[Output]\nFormat=gpt_ext4\n"}
	if err := mkosi.New(mkosi.Config{}).Validate(r); err == nil {
		t.Error("Validate accepted Format=gpt_ext4")
	}
}
