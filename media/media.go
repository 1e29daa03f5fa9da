// Package media builds bootable hybrid ISO/USB images that carry the Ingot
// installer, for machines that cannot boot from the network.
//
// An image is made by grub-mkrescue (GRUB for BIOS and UEFI, xorriso for
// the hybrid ISO 9660 + MBR/GPT layout): the same file boots as a CD
// (El Torito, BIOS and UEFI entries) and when written to a USB stick.
// The installer kernel, its initramfs and the kernel command line (the
// server URL and the mode) are baked into the image.
package media

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"ingot.dev/ingot/installer/cmdline"
)

// Installer files expected in Config.InstallerDir (what `make installer` writes).
const (
	KernelFile = "vmlinuz"
	InitrdFile = "initramfs.cpio.gz"
)

// Config describes an image.
type Config struct {
	// InstallerDir holds vmlinuz and initramfs.cpio.gz. Default "build/installer".
	InstallerDir string
	// Out is the image file to write (replaced atomically). Required.
	Out string
	// ServerURL is the Ingot server the installer reports to (http or https). Required.
	ServerURL string
	// ExtraArgs are appended to the kernel command line, one argument each
	// (no whitespace, no single quotes).
	ExtraArgs []string
	// Static, when set, is the network configuration the installer sets
	// instead of asking DHCP (ingot.ip, ingot.gw, ingot.dns).
	Static *cmdline.Static
	// Iface is the NIC (name or MAC) the installer configures; empty: any.
	Iface string
	// Mkrescue is the grub-mkrescue binary. Default "grub-mkrescue".
	Mkrescue string
}

// Host is what a per-host image bakes in: the installer installs without
// asking the server who it is.
type Host struct {
	Token      string // the host's plan token
	Deployment string // deployment ID
}

func (c Config) withDefaults() Config {
	if c.InstallerDir == "" {
		c.InstallerDir = "build/installer"
	}
	if c.Mkrescue == "" {
		c.Mkrescue = "grub-mkrescue"
	}
	return c
}

// Validate reports what is missing or malformed in c.
func (c Config) Validate() error {
	if c.Out == "" {
		return errors.New("media: no output file (Out)")
	}
	u, err := url.Parse(c.ServerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("media: server URL %q: want http://host:port or https://host:port", c.ServerURL)
	}
	if c.Static != nil {
		if err := c.Static.Validate(); err != nil {
			return fmt.Errorf("media: %w", err)
		}
	}
	args := append([]string{c.ServerURL}, c.ExtraArgs...)
	if c.Iface != "" {
		args = append(args, c.Iface)
	}
	for _, a := range args {
		if err := checkArg(a); err != nil {
			return err
		}
	}
	return nil
}

func checkArg(a string) error {
	if a == "" {
		return errors.New("media: empty kernel argument")
	}
	for _, r := range a {
		if r <= ' ' || r == '\'' || r > '~' {
			return fmt.Errorf("media: kernel argument %q: whitespace, quotes and non-ASCII are not allowed", a)
		}
	}
	return nil
}

// BuildGeneric writes an image that boots the installer in discovery mode:
// the host gets an address by DHCP and reports to c.ServerURL, which
// identifies it by MAC and serial.
func BuildGeneric(ctx context.Context, c Config) error {
	return build(ctx, c, "discovery")
}

// BuildHost writes an image for one host: the installer installs
// deployment h.Deployment with h.Token, without a discovery round.
func BuildHost(ctx context.Context, c Config, h Host) error {
	if h.Token == "" || h.Deployment == "" {
		return errors.New("media: a per-host image needs a token and a deployment")
	}
	c.ExtraArgs = append([]string{"ingot.token=" + h.Token, "ingot.deployment=" + h.Deployment}, c.ExtraArgs...)
	return build(ctx, c, "install")
}

// KernelArgs is the installer's command line in an image of mode m.
func (c Config) KernelArgs(mode string) []string {
	a := []string{"console=ttyS0,115200", "console=tty0", "ingot.server=" + c.ServerURL, "ingot.mode=" + mode}
	switch {
	case c.Static != nil:
		a = append(a, c.Static.Args(c.Iface)...)
	case c.Iface != "":
		a = append(a, "ingot.iface="+c.Iface)
	}
	return append(a, c.ExtraArgs...)
}

func build(ctx context.Context, c Config, mode string) error {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(filepath.Dir(c.Out), ".media-")
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	defer os.RemoveAll(stage)
	root := filepath.Join(stage, "root")
	if err := populate(root, c.InstallerDir, GrubConfig(c.KernelArgs(mode))); err != nil {
		return err
	}
	tmp := filepath.Join(stage, "image.iso")
	cmd := exec.CommandContext(ctx, c.Mkrescue, "-o", tmp, root, "--", "-volid", "INGOT")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("media: %s: %w\n%s", c.Mkrescue, err, tail(string(out), 1500))
	}
	if err := os.Rename(tmp, c.Out); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
