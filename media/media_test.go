package media

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestValidate(t *testing.T) {
	ok := Config{Out: "x.iso", ServerURL: "http://10.0.2.2:7480"}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" for none
	}{
		{"ok", func(*Config) {}, ""},
		{"https", func(c *Config) { c.ServerURL = "https://ingot.example:8443/" }, ""},
		{"extra", func(c *Config) { c.ExtraArgs = []string{"ip=dhcp", "ingot.debug=$x;y"} }, ""},
		{"no out", func(c *Config) { c.Out = "" }, "no output file"},
		{"no server", func(c *Config) { c.ServerURL = "" }, "server URL"},
		{"ftp", func(c *Config) { c.ServerURL = "ftp://h/" }, "server URL"},
		{"space in url", func(c *Config) { c.ServerURL = "http://h/a b" }, "whitespace"},
		{"quote", func(c *Config) { c.ExtraArgs = []string{"a='b'"} }, "quotes"},
		{"space", func(c *Config) { c.ExtraArgs = []string{"a b"} }, "whitespace"},
		{"newline", func(c *Config) { c.ExtraArgs = []string{"a\n}"} }, "whitespace"},
		{"empty", func(c *Config) { c.ExtraArgs = []string{""} }, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestGrubConfigGolden(t *testing.T) {
	c := Config{ServerURL: "http://10.0.2.2:7480", ExtraArgs: []string{"ingot.debug=1"}}
	got := GrubConfig(c.KernelArgs("discovery"))
	golden := filepath.Join("testdata", "grub.cfg.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("grub.cfg (-golden +got):\n%s", d)
	}
}

func TestBuildHostNeedsTokenAndDeployment(t *testing.T) {
	c := Config{Out: filepath.Join(t.TempDir(), "x.iso"), ServerURL: "http://h:1"}
	if err := BuildHost(context.Background(), c, Host{Token: "t"}); err == nil {
		t.Fatal("BuildHost without a deployment: no error")
	}
}

func TestBuildMissingInstaller(t *testing.T) {
	needTools(t)
	c := Config{InstallerDir: t.TempDir(), Out: filepath.Join(t.TempDir(), "x.iso"), ServerURL: "http://h:1"}
	err := BuildGeneric(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "make installer") {
		t.Fatalf("BuildGeneric without installer files = %v, want a hint to run make installer", err)
	}
}

func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"grub-mkrescue", "xorriso", "mformat", "sfdisk"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed", tool)
			}
			testenv.Skip(t, "skipped: %s is not installed (apt-get install xorriso grub-pc-bin grub-efi-amd64-bin mtools)", tool)
		}
	}
	for _, d := range []string{"/usr/lib/grub/i386-pc", "/usr/lib/grub/x86_64-efi"} {
		if _, err := os.Stat(d); err != nil {
			testenv.Skip(t, "skipped: %s missing (grub-pc-bin, grub-efi-amd64-bin)", d)
		}
	}
}

// fakeInstaller is an installer directory with small stand-in files: enough
// to check the image's layout without the real kernel.
func fakeInstaller(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{KernelFile, InitrdFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("fake "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestImageIsHybrid checks the image with the real tools: El Torito BIOS
// and UEFI entries, and a partition table for a USB stick.
func TestImageIsHybrid(t *testing.T) {
	needTools(t)
	out := filepath.Join(t.TempDir(), "generic.iso")
	c := Config{InstallerDir: fakeInstaller(t), Out: out, ServerURL: "http://10.0.2.2:7480"}
	if err := BuildGeneric(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	report := run(t, "xorriso", "-indev", out, "-report_el_torito", "plain")
	for _, re := range []string{`El Torito boot img :\s+\d+\s+BIOS\s+y`, `El Torito boot img :\s+\d+\s+UEFI\s+y`} {
		if !regexp.MustCompile(re).MatchString(report) {
			t.Errorf("xorriso report lacks %s:\n%s", re, report)
		}
	}
	table := run(t, "sfdisk", "-l", out)
	for _, want := range []string{"Disklabel type: gpt", "EFI System"} {
		if !strings.Contains(table, want) {
			t.Errorf("sfdisk -l lacks %q:\n%s", want, table)
		}
	}
	extracted := filepath.Join(t.TempDir(), "grub.cfg")
	run(t, "xorriso", "-osirrox", "on", "-indev", out, "-extract", "/boot/grub/grub.cfg", extracted)
	cfg, err := os.ReadFile(extracted)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg), "'ingot.mode=discovery'") {
		t.Errorf("grub.cfg on the image lacks ingot.mode=discovery:\n%s", cfg)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
