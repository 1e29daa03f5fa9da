package kitrun

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/installer/plan"
)

// Choose returns the kit host this machine is, matched by MAC, DMI serial
// or DMI UUID. A machine the kit does not know is told so on out and
// offered a numbered menu read from in (a line per answer, so a serial
// console works); 0 or the end of input chooses nothing.
func Choose(m *kit.Manifest, inv plan.Inventory, in io.Reader, out io.Writer) (kit.Host, string, error) {
	if h, why, ok := m.Match(inv); ok {
		fmt.Fprintf(out, "ingot: kit %s: this machine is host %s (matched by %s)\n", m.ID, h.Name, why)
		return h, why, nil
	}
	var macs []string
	for _, n := range inv.NICs {
		macs = append(macs, n.MAC)
	}
	fmt.Fprintf(out, "ingot: this machine is not in kit %s: MACs %v, serial %q, UUID %q match none of its %d hosts; nothing has been written\n",
		m.ID, macs, inv.DMI.Serial, inv.DMI.UUID, len(m.Hosts))
	lines := bufio.NewScanner(in)
	for {
		fmt.Fprintln(out, "ingot: install one of the kit's hosts on this machine?")
		for i, h := range m.Hosts {
			fmt.Fprintf(out, "  %d) %s (hostgroup %s; MACs %s; serial %q)\n", i+1, h.Name, h.Hostgroup, strings.Join(h.MACs, " "), h.Serial)
		}
		fmt.Fprintf(out, "  0) none: install nothing and power off\nchoose a number and press Enter: ")
		if !lines.Scan() {
			return kit.Host{}, "", ErrNothingChosen
		}
		n, err := strconv.Atoi(strings.TrimSpace(lines.Text()))
		switch {
		case err == nil && n == 0:
			return kit.Host{}, "", ErrNothingChosen
		case err == nil && n >= 1 && n <= len(m.Hosts):
			h := m.Hosts[n-1]
			fmt.Fprintf(out, "ingot: installing host %s, chosen on the console\n", h.Name)
			return h, "menu", nil
		}
		fmt.Fprintf(out, "ingot: %q is not a number between 0 and %d\n", strings.TrimSpace(lines.Text()), len(m.Hosts))
	}
}
