package kitrun

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"

	"ingot.dev/ingot/installer/kit"
)

// maxEvents bounds the events a report carries.
const maxEvents = 400

// Lines passes console output through to W and keeps every "ingot:" line
// with the time it was printed, as the report's events (progress lines
// are left out: the report has the final numbers).
type Lines struct {
	W   io.Writer
	Now func() time.Time

	mu     sync.Mutex
	part   []byte
	events []kit.Event
}

// Write implements io.Writer.
func (l *Lines) Write(p []byte) (int, error) {
	n, err := l.W.Write(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(l.part[:i]))
		l.part = l.part[i+1:]
		if msg, ok := strings.CutPrefix(line, "ingot: "); ok && !strings.HasPrefix(msg, "  writing ") && len(l.events) < maxEvents {
			now := time.Now
			if l.Now != nil {
				now = l.Now
			}
			l.events = append(l.events, kit.Event{Time: now().UTC(), Message: msg})
		}
	}
	return n, err
}

// Events returns the lines kept so far.
func (l *Lines) Events() []kit.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]kit.Event(nil), l.events...)
}
