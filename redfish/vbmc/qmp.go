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
	if err := exchange(conn, r, "qmp_capabilities", nil, nil); err != nil {
		return fmt.Errorf("qmp %s: %w", cmd, err)
	}
	if err := exchange(conn, r, cmd, args, out); err != nil {
		return fmt.Errorf("qmp %s: %w", cmd, err)
	}
	return nil
}

func exchange(conn net.Conn, r *bufio.Reader, cmd string, args, out any) error {
	msg := map[string]any{"execute": cmd}
	if args != nil {
		msg["arguments"] = args
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return err
	}
	for range 1000 { // events may come before the reply
		line, err := r.ReadBytes('\n')
		if err != nil {
			return err
		}
		var rep qmpReply
		if err := json.Unmarshal(line, &rep); err != nil {
			return fmt.Errorf("bad QMP line %q: %w", line, err)
		}
		switch {
		case rep.Event != "":
			continue
		case rep.Error != nil:
			return fmt.Errorf("%s: %s", rep.Error.Class, rep.Error.Desc)
		case out != nil:
			return json.Unmarshal(rep.Return, out)
		default:
			return nil
		}
	}
	return fmt.Errorf("no reply to %s", cmd)
}
