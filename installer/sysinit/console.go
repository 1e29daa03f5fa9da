package sysinit

import (
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Consoles opens every console the kernel writes to (serial and VGA, from
// /sys/class/tty/console/active) so that progress shows on all of them;
// /dev/console alone reaches only the last console= given. It falls back to
// fallback when none opens.
func Consoles(fallback io.Writer) io.Writer {
	b, err := os.ReadFile("/sys/class/tty/console/active")
	if err != nil {
		return fallback
	}
	var ws []io.Writer
	for _, name := range strings.Fields(string(b)) {
		f, err := os.OpenFile("/dev/"+name, os.O_WRONLY|unix.O_NOCTTY, 0)
		if err != nil {
			continue
		}
		ws = append(ws, f)
	}
	if len(ws) == 0 {
		return fallback
	}
	return multi(ws)
}

// multi writes to every console, ignoring a console that fails.
type multi []io.Writer

func (m multi) Write(p []byte) (int, error) {
	for _, w := range m {
		_, _ = w.Write(p)
	}
	return len(p), nil
}
