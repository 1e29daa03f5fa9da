// Package ipxe renders the per-host iPXE scripts Ingot serves. Scripts are
// built line by line from validated values, never from a text template: a
// value that could add, split or expand an iPXE command (newline, space, ";",
// "||", "&&", "${...}", "#", quotes, backslash) is refused, so a script always
// holds exactly the commands its decision calls for.
package ipxe

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"ingot.dev/ingot/api"
)

// Script is everything one iPXE script is rendered from.
type Script struct {
	// Decision picks the script: installer, discovery, local or hold.
	Decision api.BootDecision
	// Firmware decides how "local" leaves iPXE: sanboot for BIOS, exit for UEFI.
	Firmware api.Firmware
	// Base is the server's base URL (scheme://host[:port][/path]); the
	// installer files are under {Base}/boot/installer/.
	Base *url.URL
	// Self is the URL of this script, re-chained by "hold". Nil: {Base}/boot/ipxe.
	Self *url.URL
	// Host is an optional host name shown on the console.
	Host string
	// Deployment and Token are required for the installer decision.
	Deployment api.DeploymentID
	Token      string
	// KernelArgs are extra installer kernel arguments, one word each.
	KernelArgs []string
	// Console is the console arguments; nil means ttyS0 then tty0.
	Console []string
	// HoldInterval is how long "hold" sleeps between re-chains; 0 means 30 s.
	HoldInterval time.Duration
}

// Installer file names under {Base}/boot/installer/.
const (
	KernelName = "vmlinuz"
	InitrdName = "initramfs.cpio.gz"
)

// ErrUnsafe is wrapped by every error about a value that cannot be put into
// a script safely.
var ErrUnsafe = errors.New("unsafe value for an iPXE script")

// Render returns the script for s.
func Render(s Script) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var lines []string
	switch s.Decision {
	case api.BootInstaller, api.BootDiscovery:
		lines = s.installer()
	case api.BootLocal:
		lines = s.local()
	case api.BootHold:
		lines = s.hold()
	default:
		return nil, fmt.Errorf("rendering iPXE script: unknown boot decision %q", s.Decision)
	}
	var b strings.Builder
	b.WriteString("#!ipxe\n")
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

func (s Script) installer() []string {
	base := strings.TrimSuffix(s.Base.String(), "/")
	dir := base + "/boot/installer/"
	args := []string{"kernel", dir + KernelName, "initrd=" + InitrdName, "ingot.server=" + base}
	if s.Decision == api.BootInstaller {
		args = append(args, "ingot.mode=install", "ingot.deployment="+string(s.Deployment), "ingot.token="+s.Token)
	} else {
		args = append(args, "ingot.mode=discovery")
	}
	console := s.Console
	if console == nil {
		console = []string{"console=ttyS0", "console=tty0"}
	}
	args = append(append(args, s.KernelArgs...), console...)
	return []string{
		"echo Ingot: " + string(s.Decision) + s.forHost(),
		strings.Join(args, " "),
		"initrd " + dir + InitrdName,
		"boot",
	}
}

func (s Script) local() []string {
	echo := "echo Ingot: booting from local disk" + s.forHost()
	if s.Firmware == api.FirmwareBIOS {
		return []string{echo, "sanboot --no-describe --drive 0x80"}
	}
	// A non-zero status makes UEFI's boot manager go on to the next entry in
	// BootOrder (the disk); "exit" with success would open its menu instead.
	return []string{echo, "exit 1"}
}

func (s Script) hold() []string {
	iv := s.HoldInterval
	if iv <= 0 {
		iv = 30 * time.Second
	}
	secs := max(int(iv/time.Second), 1)
	return []string{
		":hold",
		"echo Ingot: on hold" + s.forHost() + ", asking again in " + fmt.Sprint(secs) + " s",
		"sleep " + fmt.Sprint(secs),
		"chain --replace --autofree " + s.self() + " || goto hold",
		"goto hold",
	}
}

func (s Script) forHost() string {
	if s.Host == "" {
		return ""
	}
	return " for " + s.Host
}

func (s Script) self() string {
	if s.Self != nil {
		return s.Self.String()
	}
	return strings.TrimSuffix(s.Base.String(), "/") + "/boot/ipxe"
}

// ScriptURL is the URL of the script for one machine: {base}/boot/ipxe with
// the MAC, platform and build architecture in the query.
func ScriptURL(base *url.URL, mac net.HardwareAddr, platform, buildarch string) *url.URL {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/boot/ipxe"
	q := url.Values{}
	q.Set("mac", mac.String())
	if platform != "" {
		q.Set("platform", platform)
	}
	if buildarch != "" {
		q.Set("arch", buildarch)
	}
	u.RawQuery = q.Encode()
	return &u
}
