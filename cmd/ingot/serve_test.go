package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ingot.dev/ingot/client"
)

// serverProc is a real `ingot serve` in a subprocess.
type serverProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *syncBuffer
	url  string
	args []string
}

// startServer runs `ingot serve` with a data directory and extra flags and
// waits until it answers /readyz.
func startServer(t *testing.T, data string, extra ...string) *serverProc {
	t.Helper()
	addr := filepath.Join(t.TempDir(), "addr")
	args := append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--addr-file", addr,
		"--admin-token-file", filepath.Join(data, "admin.token.txt"), "--poll", "200ms"}, extra...)
	p := &serverProc{t: t, out: &syncBuffer{}, args: args}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Env = append(os.Environ(), "INGOT_TEST_AS_MAIN=1")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.kill(syscall.SIGKILL) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(addr); err == nil && len(b) > 0 {
			p.url = strings.TrimSpace(string(b))
			if client.New(p.url, "").Health(context.Background()) == nil {
				return p
			}
		}
		if time.Now().After(deadline) || p.cmd.ProcessState != nil {
			t.Fatalf("ingot serve did not come up:\n%s", p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *serverProc) kill(sig syscall.Signal) {
	if p.cmd.Process == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	_ = p.cmd.Wait()
}

// adminClient reads the admin token the first start wrote.
func adminClient(t *testing.T, p *serverProc, data string) *client.Client {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "admin.token.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return client.New(p.url, strings.TrimSpace(string(b)))
}

func TestServeGracefulShutdownAndSingleDataDir(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	second := exec.Command(os.Args[0], "serve", "--data", data, "--listen", "127.0.0.1:0")
	second.Env = append(os.Environ(), "INGOT_TEST_AS_MAIN=1")
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another ingot serve") {
		t.Errorf("second server on the same data dir: err %v, output %s", err, out)
	}
	if !strings.Contains(p.out.String(), "admin token (shown once") {
		t.Errorf("first start printed no admin token:\n%s", p.out)
	}
	p.kill(syscall.SIGTERM)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM: %d\n%s", code, p.out)
	}
	// A restart must not print a new admin token.
	p2 := startServer(t, data)
	if strings.Contains(p2.out.String(), "admin token") {
		t.Errorf("restart printed a new admin token:\n%s", p2.out)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
