// Package cmdline reads the installer's settings from the kernel command
// line: ingot.server=URL ingot.mode=discovery|install ingot.token=SECRET
// ingot.deployment=ID ingot.debug=1 ingot.iface=NAME-or-MAC, and a static
// network configuration instead of DHCP: ingot.ip=ADDR/PREFIX ingot.gw=GW
// ingot.dns=DNS[,DNS...].
package cmdline

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Mode is what the installer was booted to do.
type Mode string

// The installer's modes.
const (
	ModeDiscovery Mode = "discovery"
	ModeInstall   Mode = "install"
	// ModeKit installs from a site kit on the boot medium: no network, no
	// server; the kit is verified with KitKey.
	ModeKit Mode = "kit"
)

// Config is the installer's part of the kernel command line.
type Config struct {
	Server     string // base URL of the Ingot server
	Mode       Mode   // default discovery, or install when a token is given
	Token      string // the deployment's one-time installer token
	Deployment string // the deployment ID, for signals
	Debug      bool   // drop to a shell instead of rebooting on failure
	Iface      string // NIC to configure (name or MAC); default every NIC with link
	// Static is the network configuration to set instead of asking DHCP;
	// nil means DHCP.
	Static *Static
	KitKey string // ingot.kitkey: the server's kit signing key (base64url ed25519)
}

// Static is a static IP configuration of the boot NIC.
type Static struct {
	Addr    netip.Prefix // the address with its prefix length, e.g. 10.0.0.5/24
	Gateway netip.Addr   // default route; zero: none (the server is on-link)
	DNS     []netip.Addr
}

// Parse reads the ingot.* parameters of a kernel command line. Unknown
// ingot.* parameters are errors, other parameters are ignored.
func Parse(line string) (Config, error) {
	var c Config
	var errs []error
	for _, f := range fields(line) {
		k, v, _ := strings.Cut(f, "=")
		if !strings.HasPrefix(k, "ingot.") {
			continue
		}
		switch k {
		case "ingot.server":
			c.Server = strings.TrimRight(v, "/")
		case "ingot.mode":
			c.Mode = Mode(v)
		case "ingot.token":
			c.Token = v
		case "ingot.deployment":
			c.Deployment = v
		case "ingot.iface":
			c.Iface = v
		case "ingot.kitkey":
			c.KitKey = v
		case "ingot.debug":
			c.Debug = v == "" || v == "1" || v == "true" || v == "yes"
		case "ingot.ip", "ingot.gw", "ingot.dns":
			errs = append(errs, c.parseStatic(k, v))
		default:
			return c, fmt.Errorf("unknown kernel parameter %q", k)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if c.Mode == "" {
		c.Mode = ModeDiscovery
		if c.Token != "" {
			c.Mode = ModeInstall
		}
	}
	return c, c.Validate()
}

// Validate says what is missing or wrong, and what to set.
func (c Config) Validate() error {
	var errs []error
	if c.Mode == ModeKit {
		if c.KitKey == "" {
			return errors.New("ingot.mode=kit needs ingot.kitkey= (the server's kit signing key)")
		}
		return nil
	}
	if c.Server == "" {
		errs = append(errs, errors.New("ingot.server= is missing: boot the installer with ingot.server=http://SERVER:PORT"))
	} else if u, err := url.Parse(c.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("ingot.server=%q is not an http(s) URL", c.Server))
	}
	switch c.Mode {
	case ModeDiscovery:
	case ModeInstall:
		if c.Token == "" {
			errs = append(errs, errors.New("ingot.mode=install needs ingot.token="))
		}
		if c.Deployment == "" {
			errs = append(errs, errors.New("ingot.mode=install needs ingot.deployment="))
		}
	default:
		errs = append(errs, fmt.Errorf("ingot.mode=%q: want discovery, install or kit", c.Mode))
	}
	if c.Static != nil {
		errs = append(errs, c.Static.Validate())
	}
	return errors.Join(errs...)
}

// fields splits a command line at spaces outside double quotes, and drops
// the quotes, as the kernel does.
func fields(line string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case (r == ' ' || r == '\t' || r == '\n') && !quoted:
			if any {
				out = append(out, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}
