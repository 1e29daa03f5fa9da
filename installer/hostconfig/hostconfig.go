// Package hostconfig renders a host's configuration (plan.HostConfig) into
// files of the installed system and writes them under its mounted root:
// hostname, hosts, systemd-networkd units, root's SSH keys and password,
// extra files, the cloud-init NoCloud seed and the first-boot phone-home.
package hostconfig

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"ingot.dev/ingot/installer/plan"
)

// File is one file (or symlink, when Link is set) of the installed system.
type File struct {
	Path string      // absolute path inside the installed system
	Mode fs.FileMode // permission bits
	Data []byte
	Link string // symlink target
	Src  string // host file to copy instead of Data (the installer binary)
}

// Options are the installer's facts that the rendered files need.
type Options struct {
	Deployment string // instance ID of the cloud-init seed
	BootMAC    string // the NIC that addresses without an interface apply to
	// Firstboot is the program copied into the target as
	// /usr/local/sbin/ingot-firstboot; empty installs no phone-home.
	Firstboot string
	// Layered: the host's own files (network, hostname, keys, seed, files)
	// came from its image's config layer (Unpack); the config rendered next
	// to it holds only the deployment's part, so no network default is
	// added.
	Layered bool
}

// Paths of the phone-home in the installed system.
const (
	FirstbootBin   = "/usr/local/sbin/ingot-firstboot"
	FirstbootToken = "/etc/ingot/firstboot.token"
	FirstbootUnit  = "/etc/systemd/system/ingot-firstboot.service"
	FirstbootWants = "/etc/systemd/system/multi-user.target.wants/ingot-firstboot.service"
)

// sshHostKeys is a drop-in for Debian's ssh.service that generates the
// missing host keys before sshd checks its configuration (which fails
// without them).
const sshHostKeys = "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n"

// Render returns the files c puts into the installed system, sorted by path.
func Render(c plan.HostConfig, o Options) ([]File, error) {
	var files []File
	if c.Hostname != "" {
		files = append(files,
			File{Path: "/etc/hostname", Mode: 0o644, Data: []byte(c.Hostname + "\n")},
			File{Path: "/etc/hosts", Mode: 0o644, Data: []byte(hosts(c.Hostname))},
		)
	}
	if !o.Layered || len(c.Addresses) > 0 {
		files = append(files, network(c, o)...)
	}
	if len(c.SSHKeys) > 0 {
		files = append(files, File{Path: "/root/.ssh/authorized_keys", Mode: 0o600, Data: []byte(strings.Join(c.SSHKeys, "\n") + "\n")},
			// Images carry no SSH host keys (they are per machine): sshd
			// makes its own before its first start.
			File{Path: "/etc/systemd/system/ssh.service.d/ingot-host-keys.conf", Mode: 0o644, Data: []byte(sshHostKeys)})
	}
	files = append(files, seed(c, o)...)
	if o.Firstboot != "" && c.PhoneHome != "" {
		files = append(files, firstboot(c, o)...)
	}
	for _, f := range c.Files {
		p := path.Clean("/" + f.Path)
		if p != f.Path {
			return nil, fmt.Errorf("file path %q is not a clean absolute path", f.Path)
		}
		mode := fs.FileMode(f.Mode) & fs.ModePerm
		if f.Mode == 0 {
			mode = 0o644
		}
		files = append(files, File{Path: p, Mode: mode, Data: []byte(f.Content)})
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

func hosts(name string) string {
	short, _, _ := strings.Cut(name, ".")
	alias := name
	if short != name {
		alias = name + " " + short
	}
	return "127.0.0.1\tlocalhost\n127.0.1.1\t" + alias + "\n\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
}

// network renders systemd-networkd units: one per interface with static
// addresses, or DHCP on every Ethernet NIC when there are none.
func network(c plan.HostConfig, o Options) []File {
	const wants = "/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
	enable := File{Path: wants, Link: "/lib/systemd/system/systemd-networkd.service"}
	if len(c.Addresses) == 0 {
		return []File{enable, {Path: "/etc/systemd/network/90-ingot-dhcp.network", Mode: 0o644,
			Data: []byte("[Match]\nType=ether\nName=!veth* !docker*\n\n[Network]\nDHCP=yes\n")}}
	}
	byIface := map[string][]int{}
	var order []string
	for i, a := range c.Addresses {
		k := a.Interface
		if k == "" {
			k = o.BootMAC
		}
		if _, ok := byIface[k]; !ok {
			order = append(order, k)
		}
		byIface[k] = append(byIface[k], i)
	}
	files := []File{enable}
	for n, iface := range order {
		var b strings.Builder
		b.WriteString("[Match]\n")
		switch {
		case iface == "":
			b.WriteString("Type=ether\n")
		case strings.Count(iface, ":") == 5:
			fmt.Fprintf(&b, "MACAddress=%s\n", strings.ToLower(iface))
		default:
			fmt.Fprintf(&b, "Name=%s\n", iface)
		}
		b.WriteString("\n[Network]\n")
		for _, i := range byIface[iface] {
			a := c.Addresses[i]
			fmt.Fprintf(&b, "Address=%s\n", a.Address)
			if a.Gateway.IsValid() {
				fmt.Fprintf(&b, "Gateway=%s\n", a.Gateway)
			}
			for _, d := range a.DNS {
				fmt.Fprintf(&b, "DNS=%s\n", d)
			}
		}
		files = append(files, File{Path: fmt.Sprintf("/etc/systemd/network/10-ingot-%d.network", n), Mode: 0o644, Data: []byte(b.String())})
	}
	return files
}

// seed renders the cloud-init NoCloud seed: user-data verbatim, or a
// cloud-config made from packages and run commands.
func seed(c plan.HostConfig, o Options) []File {
	ud := c.UserData
	if ud == "" && (len(c.Packages) > 0 || len(c.RunCmd) > 0) {
		var b strings.Builder
		b.WriteString("#cloud-config\n")
		if len(c.Packages) > 0 {
			b.WriteString("packages:\n")
			for _, p := range c.Packages {
				fmt.Fprintf(&b, "  - %q\n", p)
			}
		}
		if len(c.RunCmd) > 0 {
			b.WriteString("runcmd:\n")
			for _, r := range c.RunCmd {
				fmt.Fprintf(&b, "  - %q\n", r)
			}
		}
		ud = b.String()
	}
	if ud == "" {
		return nil
	}
	const dir = "/var/lib/cloud/seed/nocloud/"
	meta := fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", o.Deployment, c.Hostname)
	return []File{
		{Path: dir + "meta-data", Mode: 0o600, Data: []byte(meta)},
		{Path: dir + "user-data", Mode: 0o600, Data: []byte(ud)},
	}
}

func firstboot(c plan.HostConfig, o Options) []File {
	unit := fmt.Sprintf(`[Unit]
Description=Ingot first-boot report to the deployment server
Wants=network-online.target
After=network-online.target
ConditionPathExists=%[2]s

[Service]
Type=oneshot
ExecStart=%[3]s firstboot --url %[1]s --token-file %[2]s

[Install]
WantedBy=multi-user.target
`, c.PhoneHome, FirstbootToken, FirstbootBin)
	return []File{
		{Path: FirstbootBin, Mode: 0o755, Src: o.Firstboot},
		{Path: FirstbootToken, Mode: 0o600, Data: []byte(c.PhoneHomeToken)},
		{Path: FirstbootUnit, Mode: 0o644, Data: []byte(unit)},
		{Path: FirstbootWants, Link: FirstbootUnit},
	}
}
