// Package firstboot is the phone-home that runs once in the installed
// system: it reports the booted OS (id, version, kernel, hostname, mounts,
// TPM PCRs, SSH host keys) to the deployment, then disables itself and
// deletes its token.
package firstboot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ingot.dev/ingot/installer/hostconfig"
	"ingot.dev/ingot/installer/report"
)

// Report is the data of the "firstboot" signal.
type Report struct {
	OSID        string            `json:"os_id"`
	OSVersion   string            `json:"os_version"`
	Kernel      string            `json:"kernel"`
	Hostname    string            `json:"hostname"`
	Mounts      []Mount           `json:"mounts"`
	TPMPCRs     map[string]string `json:"tpm_pcrs,omitempty"` // sha256 bank, PCR index → hex
	SSHHostKeys []string          `json:"ssh_host_keys,omitempty"`
	// AuthorizedKeys are root's authorized_keys lines, as the installer
	// wrote them from the host's values.
	AuthorizedKeys []string `json:"authorized_keys,omitempty"`
	// Addresses are the system's global interface addresses (CIDR), so the
	// server sees the network config took.
	Addresses []string `json:"addresses,omitempty"`
	// MDStat is /proc/mdstat where md arrays exist: the state of the mirrors.
	MDStat string `json:"mdstat,omitempty"`
}

// Mount is one mounted filesystem.
type Mount struct {
	Target  string `json:"target"`
	Source  string `json:"source"`
	FSType  string `json:"fstype"`
	Options string `json:"options"`
}

// Collect reads the report from the system whose root is root ("/" in
// production; tests use a fake tree).
func Collect(root string) Report {
	osr := osRelease(filepath.Join(root, "etc/os-release"))
	r := Report{
		OSID:      osr["ID"],
		OSVersion: first(osr["VERSION_ID"], osr["VERSION_CODENAME"]),
		Kernel:    readTrim(filepath.Join(root, "proc/sys/kernel/osrelease")),
		Hostname:  first(readTrim(filepath.Join(root, "proc/sys/kernel/hostname")), readTrim(filepath.Join(root, "etc/hostname"))),
		Mounts:    mounts(filepath.Join(root, "proc/self/mounts")),
		TPMPCRs:   pcrs(filepath.Join(root, "sys/class/tpm/tpm0/pcr-sha256")),
	}
	r.AuthorizedKeys = lines(filepath.Join(root, "root/.ssh/authorized_keys"))
	if b, err := os.ReadFile(filepath.Join(root, "proc/mdstat")); err == nil && strings.Contains(string(b), "active") {
		r.MDStat = string(b)
	}
	if root == "/" {
		r.Addresses = addresses()
	}
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*_key.pub"))
	sort.Strings(keys)
	for _, k := range keys {
		if s := readTrim(k); s != "" {
			r.SSHHostKeys = append(r.SSHHostKeys, s)
		}
	}
	return r
}

// Config says where to report.
type Config struct {
	URL       string // the PhoneHome URL (a deployment's signals endpoint)
	TokenFile string
	Root      string // default /
	Log       *slog.Logger
	Backoff   time.Duration // first retry delay; default 2s
}

// Run posts the report (retrying for a long while: the network may come up
// late), then disables the unit and deletes the token so it never runs again.
func Run(ctx context.Context, c Config) error {
	if c.Root == "" {
		c.Root = "/"
	}
	tok, err := os.ReadFile(filepath.Join(c.Root, c.TokenFile))
	if err != nil {
		return fmt.Errorf("reading the first-boot token: %w", err)
	}
	rep := Collect(c.Root)
	cl := &report.Client{Base: c.URL, Token: strings.TrimSpace(string(tok)), Log: c.Log, Retries: 40, Backoff: c.Backoff}
	if cl.Backoff == 0 {
		cl.Backoff = 2 * time.Second
	}
	sig := map[string]any{"name": "firstboot", "data": rep}
	if err := cl.Do(ctx, "POST", "", sig, nil); err != nil {
		return fmt.Errorf("reporting first boot to %s: %w", c.URL, err)
	}
	var errs []error
	for _, p := range []string{hostconfig.FirstbootWants, c.TokenFile} {
		if err := os.Remove(filepath.Join(c.Root, p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func osRelease(path string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), "="); ok {
			m[k] = strings.Trim(v, `"'`)
		}
	}
	return m
}

func mounts(path string) []Mount {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ms []Mount
	s := bufio.NewScanner(f)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 4 {
			continue
		}
		ms = append(ms, Mount{Source: unescape(f[0]), Target: unescape(f[1]), FSType: f[2], Options: f[3]})
	}
	return ms
}

// unescape undoes the octal escapes of /proc/self/mounts (\040 for space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func pcrs(dir string) map[string]string {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	m := map[string]string{}
	for _, e := range es {
		if v := readTrim(filepath.Join(dir, e.Name())); v != "" {
			m[e.Name()] = strings.ToLower(v)
		}
	}
	return m
}

func readTrim(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// lines returns the non-empty, non-comment lines of a file.
func lines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// addresses lists the global unicast addresses of the system's interfaces.
func addresses() []string {
	ifs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range ifs {
		if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
			out = append(out, n.String())
		}
	}
	return out
}
