package media

import (
	"context"
	"flag"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/installer/cmdline"
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
	cfg := checkHybrid(t, out)
	if !strings.Contains(cfg, "'ingot.mode=discovery'") {
		t.Errorf("grub.cfg on the image lacks ingot.mode=discovery:\n%s", cfg)
	}
}

// checkHybrid asserts the El Torito BIOS and UEFI entries and the GPT of
// the image at out, and returns its grub.cfg.
func checkHybrid(t *testing.T, out string) string {
	t.Helper()
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
	return string(cfg)
}

// TestHostImage builds a per-host image with a static network and checks
// that its grub.cfg carries the install command line the installer parses.
func TestHostImage(t *testing.T) {
	needTools(t)
	out := filepath.Join(t.TempDir(), "host.iso")
	static := &cmdline.Static{Addr: netip.MustParsePrefix("10.0.0.5/24"), Gateway: netip.MustParseAddr("10.0.0.1"), DNS: []netip.Addr{netip.MustParseAddr("10.0.0.2")}}
	c := Config{InstallerDir: fakeInstaller(t), Out: out, ServerURL: "http://10.0.0.1:7480", Static: static, Iface: "52:54:00:12:34:56"}
	if err := BuildHost(context.Background(), c, Host{Token: "tok_secret", Deployment: "dep_1"}); err != nil {
		t.Fatal(err)
	}
	cfg := checkHybrid(t, out)
	line := regexp.MustCompile(`(?m)^\s*linux /ingot/vmlinuz (.*)$`).FindStringSubmatch(cfg)
	if line == nil {
		t.Fatalf("no linux line in grub.cfg:\n%s", cfg)
	}
	got, err := cmdline.Parse(strings.ReplaceAll(line[1], "'", ""))
	if err != nil {
		t.Fatalf("the installer would refuse the image's command line: %v", err)
	}
	want := cmdline.Config{Server: "http://10.0.0.1:7480", Mode: cmdline.ModeInstall, Token: "tok_secret", Deployment: "dep_1",
		Iface: "52:54:00:12:34:56", Static: static}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("command line on the image (-want +got):\n%s", d)
	}
}

func TestValidateStatic(t *testing.T) {
	c := Config{Out: "x.iso", ServerURL: "http://h:1", Static: &cmdline.Static{Addr: netip.MustParsePrefix("10.0.0.5/24"), Gateway: netip.MustParseAddr("10.9.0.1")}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "ingot.gw") {
		t.Fatalf("Validate() = %v, want the gateway refused", err)
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
