// Package clevistest runs the real servers the clevis tests bind to: tangd
// behind socat and swtpm, on free loopback ports, stopped when the test
// ends. A test that needs a missing tool is skipped, saying which.
package clevistest

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2/transport"

	"ingot.dev/ingot/internal/testenv"
)

// Need skips t unless every tool is installed.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat(tool); err != nil {
				testenv.Skip(t, "%s is not installed (apt-get install clevis clevis-luks clevis-tpm2 tang swtpm swtpm-tools jose socat cryptsetup-bin tpm2-tools)", tool)
			}
		}
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func free(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func start(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	// Not the test's stderr, and its own process group, killed whole:
	// socat forks a child per connection, and one left behind (a client
	// that vanished mid-request, like a VM that was stopped, and a test
	// killed at its timeout) would keep the test's output open and go test
	// waiting for it.
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() { kill(cmd) })
	return cmd
}

// kill kills cmd's process group and reaps cmd (once: a reaped pid may
// belong to someone else).
func kill(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
}

func waitPort(t testing.TB, addr string) {
	t.Helper()
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// Tang is a running tangd.
type Tang struct {
	URL        string
	Thumbprint string // S256 thumbprint of its signing key, from jose
	t          testing.TB
	db, addr   string
	cmd        *exec.Cmd
}

// Stop stops the server: later requests fail.
func (tg *Tang) Stop() { kill(tg.cmd) }

// Start starts the stopped server again, with the same keys and address.
func (tg *Tang) Start() {
	tg.t.Helper()
	tg.cmd = start(tg.t, "socat", "TCP-LISTEN:"+portOf(tg.addr)+",bind="+hostOf(tg.addr)+",reuseaddr,fork", "EXEC:/usr/libexec/tangd "+tg.db)
	waitPort(tg.t, tg.addr)
}

// StartTang generates Tang keys and serves them on a free loopback port.
func StartTang(t testing.TB) *Tang { t.Helper(); return StartTangOn(t, "127.0.0.1") }

// StartTangOn generates Tang keys and serves them on a free port of host
// (an address of this machine, such as a lab network's).
func StartTangOn(t testing.TB, host string) *Tang {
	t.Helper()
	Need(t, "/usr/libexec/tangd", "/usr/libexec/tangd-keygen", "socat", "jose")
	db := t.TempDir()
	if out, err := exec.Command("/usr/libexec/tangd-keygen", db).CombinedOutput(); err != nil {
		t.Fatalf("tangd-keygen: %v: %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(db, "*.jwk"))
	tg := &Tang{t: t, db: db}
	for _, f := range files {
		var key struct {
			KeyOps []string `json:"key_ops"`
		}
		b, _ := os.ReadFile(f)
		if json.Unmarshal(b, &key) != nil || !slices.Contains(key.KeyOps, "sign") {
			continue
		}
		thp, err := exec.Command("jose", "jwk", "thp", "-i", f, "-a", "S256").Output()
		if err != nil {
			t.Fatalf("jose jwk thp: %v", err)
		}
		tg.Thumbprint = strings.TrimSpace(string(thp))
	}
	if tg.Thumbprint == "" {
		t.Fatalf("no signing key among %v", files)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	tg.addr = l.Addr().String()
	l.Close()
	tg.URL = "http://" + tg.addr
	tg.Start()
	return tg
}

func hostOf(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

// TPM is a running swtpm.
type TPM struct {
	Port int
	// TCTI is the TPM2TOOLS_TCTI value for tpm2-tools and clevis.
	TCTI string
}

// StartTPM starts a fresh swtpm with its state in a temporary directory.
func StartTPM(t testing.TB) *TPM {
	t.Helper()
	Need(t, "swtpm")
	port := freePort(t)
	for !free(port + 1) {
		port = freePort(t)
	}
	ctrl := port + 1 // the swtpm TCTI of tpm2-tools expects the control port there
	start(t, "swtpm", "socket", "--tpm2", "--tpmstate", "dir="+t.TempDir(),
		"--server", "type=tcp,port="+strconv.Itoa(port)+",bindaddr=127.0.0.1",
		"--ctrl", "type=tcp,port="+strconv.Itoa(ctrl)+",bindaddr=127.0.0.1",
		"--flags", "not-need-init,startup-clear")
	waitPort(t, fmt.Sprintf("127.0.0.1:%d", ctrl))
	return &TPM{Port: port, TCTI: fmt.Sprintf("swtpm:host=127.0.0.1,port=%d", port)}
}

// Open connects to the TPM; close it before tpm2-tools use the TPM (swtpm
// serves one connection at a time).
func (tp *TPM) Open(t testing.TB) transport.TPMCloser {
	t.Helper()
	var conn net.Conn
	var err error
	for range 100 {
		if conn, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tp.Port)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connecting to swtpm: %v", err)
	}
	return transport.FromReadWriteCloser(conn)
}
