package lab

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"time"
)

// Console is a VM's serial console, captured to a file.
type Console struct {
	Path   string
	file   *os.File
	exited <-chan struct{} // closed when qemu exits
	// stalled says why the guest makes no progress when qemu has
	// stopped it (a failed disk write on the host), or "".
	stalled func() string
}

func newConsole(path string) (*Console, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating console log: %w", err)
	}
	return &Console{Path: path, file: f}, nil
}

// Text is everything the console printed so far.
func (c *Console) Text() string {
	b, _ := os.ReadFile(c.Path)
	return string(b)
}

// Wait waits until the console output, from byte offset from on, matches
// re, and returns the match and the offset just past it, so the next Wait
// can look only at what came after.
func (c *Console) Wait(ctx context.Context, re *regexp.Regexp, from int) (string, int, error) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		text := c.Text()
		if from < len(text) {
			if loc := re.FindStringIndex(text[from:]); loc != nil {
				return text[from+loc[0] : from+loc[1]], from + loc[1], nil
			}
		}
		select {
		case <-c.exited:
			if loc := re.FindStringIndex(c.Text()[min(from, len(c.Text())):]); loc == nil {
				return "", from, fmt.Errorf("waiting for %q on the console (%s): qemu exited; last output:\n%s", re, c.Path, tail(c.Text(), 2000))
			}
			continue // it printed the match on its way out
		case <-ctx.Done():
			why := ""
			if c.stalled != nil {
				why = c.stalled()
			}
			return "", from, fmt.Errorf("waiting for %q on the console (%s): %w%s; last output:\n%s", re, c.Path, ctx.Err(), why, tail(text, 2000))
		case <-t.C:
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
