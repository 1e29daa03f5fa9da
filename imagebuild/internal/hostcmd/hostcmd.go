// Package hostcmd runs the host programs image builds depend on (debootstrap,
// mkfs, grub-mkimage, ...): in their own process group so a cancelled build
// kills every child, optionally in a private mount namespace so mounts a
// program makes die with it, and with the tail of their output in the error.
package hostcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Cmd is one program to run.
type Cmd struct {
	Path      string
	Args      []string
	Dir       string
	Env       []string // added to the process environment
	PrivateNS bool     // run in a private mount namespace
	Logger    *slog.Logger
}

// Run runs c and waits for it. On failure the error holds the last lines of
// its combined output. A cancelled ctx kills the whole process group.
func (c Cmd) Run(ctx context.Context) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = append(cmd.Environ(), c.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if c.PrivateNS {
		cmd.SysProcAttr.Unshareflags = syscall.CLONE_NEWNS
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if c.Logger != nil {
		c.Logger.Debug("ran", "cmd", c.Path, "args", c.Args, "took", time.Since(start).Round(time.Millisecond), "err", err)
	}
	if err == nil {
		return out.Bytes(), nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("%s: %w", c.Path, ctxErr)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return nil, fmt.Errorf("%s: %w: %s", c.Path, err, Tail(out.Bytes(), 6))
	}
	return nil, fmt.Errorf("running %s: %w", c.Path, err)
}

// Run is a shorthand for Cmd{Path: path, Args: args}.Run(ctx).
func Run(ctx context.Context, path string, args ...string) ([]byte, error) {
	return Cmd{Path: path, Args: args}.Run(ctx)
}

// Tail returns the last n non-empty lines of out joined by " | ", preferring
// lines that look like errors when there are any.
func Tail(out []byte, n int) string {
	var lines, errs []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		lines = append(lines, l)
		if strings.HasPrefix(l, "E:") || strings.Contains(strings.ToLower(l), "error") {
			errs = append(errs, l)
		}
	}
	if len(errs) > 0 {
		lines = errs
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}
