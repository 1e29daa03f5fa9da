package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"ingot.dev/ingot/client"
)

// ingot is a running `ingot serve` subprocess.
type ingot struct {
	cmd   *exec.Cmd
	done  chan struct{}
	log   string // path of the server's combined output
	URL   string
	Token string
}

// startIngot runs `ingot serve` on loopback with its data under dir, waits
// until /readyz answers and returns it. database is "" for SQLite.
func startIngot(ctx context.Context, bin, dir, database string) (*ingot, error) {
	addrFile, tokenFile := filepath.Join(dir, "addr"), filepath.Join(dir, "admin.token")
	args := []string{"serve", "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0",
		"--addr-file", addrFile, "--admin-token-file", tokenFile}
	if database != "" {
		args = append(args, "--database", database)
	}
	in := &ingot{log: filepath.Join(dir, "serve.log"), done: make(chan struct{})}
	logf, err := os.Create(in.log)
	if err != nil {
		return nil, fmt.Errorf("creating server log: %w", err)
	}
	defer logf.Close()
	in.cmd = exec.Command(bin, args...)
	in.cmd.Stdout, in.cmd.Stderr = logf, logf
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := in.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = in.cmd.Wait(); close(in.done) }()
	if err := in.waitReady(ctx, addrFile, tokenFile); err != nil {
		in.Stop()
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, in.logTail())
	}
	return in, nil
}

func (in *ingot) waitReady(ctx context.Context, addrFile, tokenFile string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-in.done:
			return fmt.Errorf("ingot serve exited: %v", in.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		err := in.probe(ctx, addrFile, tokenFile)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for ingot serve to be ready: %w", err)
		}
	}
}

// probe reads the address and token files and asks /readyz.
func (in *ingot) probe(ctx context.Context, addrFile, tokenFile string) error {
	addr, err := os.ReadFile(addrFile)
	if err != nil || len(bytes.TrimSpace(addr)) == 0 {
		return errors.New("no address file yet")
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil || len(bytes.TrimSpace(token)) == 0 {
		return errors.New("no admin token file yet")
	}
	in.URL, in.Token = strings.TrimSpace(string(addr)), strings.TrimSpace(string(token))
	return in.Client(1).Health(ctx)
}

// Client returns an API client keeping up to conns connections open.
func (in *ingot) Client(conns int) *client.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns, conns
	return client.New(in.URL, in.Token).WithHTTPClient(&http.Client{Transport: tr, Timeout: time.Minute})
}

// Stop sends SIGTERM and waits for the server to end (SIGKILL after 15s).
func (in *ingot) Stop() error {
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(15 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.done
		return errors.New("ingot serve did not stop within 15s of SIGTERM; killed")
	}
	if st := in.cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("ingot serve exited with %v\nserver log:\n%s", st, in.logTail())
	}
	return nil
}

// logTail returns the last lines of the server's output.
func (in *ingot) logTail() string {
	b, _ := os.ReadFile(in.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
