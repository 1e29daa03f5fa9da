package vbmc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"
)

// qmp is a tiny QMP client: one connection per command, so a qemu that
// restarted or another QMP user in between do not wedge it.
type qmp struct {
	socket string
	mu     sync.Mutex // QMP takes one client at a time
}

type qmpReply struct {
	Return json.RawMessage `json:"return"`
	Error  *struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	} `json:"error"`
	Event string `json:"event"`
}

// run executes cmd with args and decodes its return value into out (may
// be nil).
func (q *qmp) run(ctx context.Context, cmd string, args any, out any) error {
	return q.runUntil(ctx, cmd, args, out, "")
}

// runUntil is run that, when event is not empty, also waits for that event
// (e.g. RESET: system_reset only requests the reset).
func (q *qmp) runUntil(ctx context.Context, cmd string, args any, out any, event string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", q.socket)
	if err != nil {
		return fmt.Errorf("qmp %s: %w", cmd, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	r := bufio.NewReader(conn)
	if _, err := r.ReadBytes('\n'); err != nil { // greeting
		return fmt.Errorf("qmp %s: reading greeting: %w", cmd, err)
	}
	if _, err := exchange(conn, r, "qmp_capabilities", nil, nil); err != nil {
		return fmt.Errorf("qmp %s: %w", cmd, err)
	}
	seen, err := exchange(conn, r, cmd, args, out)
	if err != nil {
		return fmt.Errorf("qmp %s: %w", cmd, err)
	}
	for event != "" && !seen[event] {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("qmp %s: waiting for %s: %w", cmd, event, err)
		}
		var rep qmpReply
		if json.Unmarshal(line, &rep) == nil && rep.Event == event {
			return nil
		}
	}
	return nil
}

// exchange sends cmd and reads its reply; it returns the events that came
// before the reply.
func exchange(conn net.Conn, r *bufio.Reader, cmd string, args, out any) (map[string]bool, error) {
	seen := map[string]bool{}
	msg := map[string]any{"execute": cmd}
	if args != nil {
		msg["arguments"] = args
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	for range 1000 { // events may come before the reply
		line, err := r.ReadBytes('\n')
		if err != nil {
			return seen, err
		}
		var rep qmpReply
		if err := json.Unmarshal(line, &rep); err != nil {
			return seen, fmt.Errorf("bad QMP line %q: %w", line, err)
		}
		switch {
		case rep.Event != "":
			seen[rep.Event] = true
			continue
		case rep.Error != nil:
			return seen, fmt.Errorf("%s: %s", rep.Error.Class, rep.Error.Desc)
		case out != nil:
			return seen, json.Unmarshal(rep.Return, out)
		default:
			return seen, nil
		}
	}
	return seen, fmt.Errorf("no reply to %s", cmd)
}
