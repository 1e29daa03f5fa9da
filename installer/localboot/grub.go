package localboot

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
)

// Entry is what a boot loader entry boots: kernel and initrd paths
// relative to the filesystem holding its grub.cfg, and the command line.
type Entry struct {
	Kernel  string
	Initrd  string
	Cmdline string
}

// errNoEntry is returned by ParseGRUB for a configuration with no kernel.
var errNoEntry = errors.New("no menuentry with a linux line")

// ParseGRUB reads the first menu entry's linux and initrd lines of a GRUB
// configuration, the entry GRUB boots by default in Ingot's and Debian's
// generated configurations. Arguments holding GRUB variables ($vt_handoff)
// are dropped; of several initrds the last (the distribution's, after
// microcode) is kept.
func ParseGRUB(cfg []byte) (Entry, error) {
	var e Entry
	depth, in := 0, false
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case f[0] == "menuentry" && !in:
			in, depth = true, 0
		case !in:
			continue
		case (f[0] == "linux" || f[0] == "linuxefi" || f[0] == "linux16") && len(f) > 1 && e.Kernel == "":
			e.Kernel, e.Cmdline = grubPath(f[1]), args(f[2:])
		case (f[0] == "initrd" || f[0] == "initrdefi" || f[0] == "initrd16") && len(f) > 1 && e.Initrd == "":
			e.Initrd = grubPath(f[len(f)-1])
		}
		depth += strings.Count(sc.Text(), "{") - strings.Count(sc.Text(), "}")
		if in && depth <= 0 && strings.Contains(sc.Text(), "}") {
			break
		}
	}
	if e.Kernel == "" || e.Kernel == "/" {
		return Entry{}, errNoEntry
	}
	return e, nil
}

// grubPath strips a GRUB device prefix, "(hd0,gpt2)/vmlinuz" → "/vmlinuz".
func grubPath(p string) string {
	if strings.HasPrefix(p, "(") {
		if i := strings.IndexByte(p, ')'); i >= 0 {
			p = p[i+1:]
		}
	}
	return "/" + strings.TrimLeft(p, "/")
}

func args(f []string) string {
	var keep []string
	for _, a := range f {
		if !strings.Contains(a, "$") {
			keep = append(keep, a)
		}
	}
	return strings.Join(keep, " ")
}
