package lab

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNetAndVM(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := NewNet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// The namespace reaches a listener on the host end of the veth.
	ln, err := net.Listen("tcp", net.JoinHostPort(n.Host.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			b := make([]byte, 5)
			c.Read(b)
			got <- string(b)
			c.Close()
		}
	}()
	if out, err := n.Command(ctx, "bash", "-c", "echo hello >/dev/tcp/"+n.Host.String()+"/"+portOf(ln)).CombinedOutput(); err != nil {
		t.Fatalf("namespace cannot reach the host end: %v\n%s", err, out)
	}
	if s := <-got; s != "hello" {
		t.Fatalf("host end got %q", s)
	}
	mac, _ := net.ParseMAC("52:54:00:aa:00:01")
	vm, err := n.StartVM(ctx, VMConfig{Name: "labtest", Dir: t.TempDir(), Firmware: BIOS, MemoryMiB: 256,
		NICs: []NIC{{MAC: mac, BootIndex: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Stop()
	// SeaBIOS runs the NIC's iPXE ROM, which prints its banner on serial.
	if _, _, err := vm.Console.Wait(ctx, regexp.MustCompile(`iPXE`), 0); err != nil {
		t.Fatal(err)
	}
	st, err := vm.QMP(ctx, "query-status", nil)
	if err != nil || !strings.Contains(string(st), `"running"`) {
		t.Fatalf("query-status: %s %v", st, err)
	}
	vm.Stop()
	if !vm.Exited() {
		t.Error("VM still running after Stop")
	}
}

func portOf(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

// TestConsoleWaitFailsWhenQemuExits: a qemu that cannot start makes Wait
// fail at once, not at its deadline; a comma in the path is escaped.
func TestConsoleWaitFailsWhenQemuExits(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "a,b")
	vm, err := StartVM(ctx, VMConfig{Name: "bad", Dir: dir, MemoryMiB: 64, Extra: []string{"-no-such-option"}})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Stop()
	start := time.Now()
	_, _, err = vm.Console.Wait(ctx, regexp.MustCompile(`never printed`), 0)
	if err == nil || !strings.Contains(err.Error(), "qemu exited") || time.Since(start) > 10*time.Second {
		t.Fatalf("Wait after qemu exited: %v after %v", err, time.Since(start))
	}
}

// TestConsoleWaitSaysWhyTheGuestStalled: when qemu has stopped the guest
// (here: never started; on a full host disk: io-error), a Wait that times
// out says so instead of leaving a hung-looking console.
func TestConsoleWaitSaysWhyTheGuestStalled(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	vm, err := StartVM(ctx, VMConfig{Name: "stopped", Dir: t.TempDir(), Firmware: BIOS, MemoryMiB: 64, Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Stop()
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
	defer wcancel()
	_, _, err = vm.Console.Wait(wctx, regexp.MustCompile(`never printed`), 0)
	if err == nil || !strings.Contains(err.Error(), "qemu has stopped the VM: prelaunch") {
		t.Fatalf("Wait on a stopped guest: %v", err)
	}
}

func TestRequireSpace(t *testing.T) {
	dir := t.TempDir()
	RequireSpace(t, dir, 1) // any filesystem has a byte free
	var skipped bool
	t.Run("too much", func(t *testing.T) {
		t.Setenv("CI", "")
		defer func() { skipped = t.Skipped() }()
		RequireSpace(t, dir, 1<<62)
		t.Error("RequireSpace went on with 4 EiB asked")
	})
	if !skipped {
		t.Error("RequireSpace did not skip outside CI with 4 EiB asked")
	}
}
