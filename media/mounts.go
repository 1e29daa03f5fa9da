package media

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ErrInUse means the target of a write is mounted or holds the running
// system: writing to it would destroy data in use.
var ErrInUse = errors.New("device in use")

// Proc names the files a write checks before touching a device; tests
// point them at fakes.
type Proc struct {
	Mounts    string // default /proc/mounts
	MountInfo string // default /proc/self/mountinfo
	Sys       string // default /sys
}

func (p Proc) withDefaults() Proc {
	if p.Mounts == "" {
		p.Mounts = "/proc/mounts"
	}
	if p.MountInfo == "" {
		p.MountInfo = "/proc/self/mountinfo"
	}
	if p.Sys == "" {
		p.Sys = "/sys"
	}
	return p
}

// mount is one line of /proc/mounts or /proc/self/mountinfo.
type mount struct {
	dev    string // major:minor (mountinfo only)
	source string // e.g. /dev/sda1
	point  string
}

// checkFree returns ErrInUse if the block device at path (number dev,
// "major:minor") or one of its partitions is mounted, or lies under a
// mounted device-mapper or md device.
func (p Proc) checkFree(path, dev string) error {
	p = p.withDefaults()
	mounts, err := readMounts(p.Mounts, false)
	if err != nil {
		return err
	}
	info, err := readMounts(p.MountInfo, true)
	if err != nil {
		return err
	}
	for _, m := range append(mounts, info...) {
		if !p.uses(m, path, dev) {
			continue
		}
		if m.point == "/" {
			return fmt.Errorf("%s holds the running system's root (%s on /): %w", path, m.source, ErrInUse)
		}
		return fmt.Errorf("%s is mounted (%s on %s): unmount it first: %w", path, m.source, m.point, ErrInUse)
	}
	return nil
}

var partSuffix = regexp.MustCompile(`^p?[0-9]+$`)

// uses reports whether m is on the device or one of its partitions.
func (p Proc) uses(m mount, path, dev string) bool {
	if m.dev != "" && p.under(m.dev, dev, 0) {
		return true
	}
	src := m.source
	if r, err := filepath.EvalSymlinks(src); err == nil {
		src = r
	}
	rest, ok := strings.CutPrefix(src, path)
	return ok && (rest == "" || partSuffix.MatchString(rest))
}

// under reports whether block device d is target, a partition of it, or
// built on it (dm, md: its slaves), following sysfs.
func (p Proc) under(d, target string, depth int) bool {
	if d == target {
		return true
	}
	if depth > 8 {
		return false
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(p.Sys, "dev/block", d))
	if err != nil {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, "partition")); err == nil {
		if parent, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "dev")); err == nil && p.under(strings.TrimSpace(string(parent)), target, depth+1) {
			return true
		}
	}
	slaves, _ := os.ReadDir(filepath.Join(dir, "slaves"))
	for _, s := range slaves {
		b, err := os.ReadFile(filepath.Join(p.Sys, "class/block", s.Name(), "dev"))
		if err == nil && p.under(strings.TrimSpace(string(b)), target, depth+1) {
			return true
		}
	}
	return false
}

func readMounts(path string, mountinfo bool) ([]mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checking mounts: %w", err)
	}
	defer f.Close()
	var ms []mount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		switch {
		case mountinfo && len(fs) >= 10:
			sep := 6
			for sep < len(fs) && fs[sep] != "-" {
				sep++
			}
			if sep+2 < len(fs) {
				ms = append(ms, mount{dev: fs[2], source: unescape(fs[sep+2]), point: unescape(fs[4])})
			}
		case !mountinfo && len(fs) >= 2:
			ms = append(ms, mount{source: unescape(fs[0]), point: unescape(fs[1])})
		}
	}
	return ms, sc.Err()
}

var octal = regexp.MustCompile(`\\[0-7]{3}`)

// unescape undoes the kernel's octal escapes (\040 for a space).
func unescape(s string) string {
	return octal.ReplaceAllStringFunc(s, func(e string) string {
		n, _ := strconv.ParseUint(e[1:], 8, 8)
		return string(rune(n))
	})
}
