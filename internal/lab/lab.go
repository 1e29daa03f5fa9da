// Package lab runs real machines for Ingot's VM-tier tests and demo: a
// private L2 segment in its own network namespace (bridged to the host by a
// veth pair, so tests can talk to it), and qemu VMs under TCG with their
// serial console captured, QMP, and optional swtpm. Everything it starts is
// stopped by pid and everything it creates is removed on Close.
package lab

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"ingot.dev/ingot/internal/testenv"
)

// Require skips t where the machine truly lacks what VM tests need (root,
// qemu, network namespaces) and says why. In CI (CI=true) a missing
// capability fails the test instead: CI machines have all of it.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	missing := Missing(tools...)
	if missing == "" {
		return
	}
	testenv.Skip(t, "VM tier: %s", missing)
}

// RequireSpace skips the test (fails it under CI) unless dir's filesystem
// has need bytes free: VM disks are sparse files that grow as guests write,
// and on a full filesystem qemu pauses the guest, which looks like a hang.
func RequireSpace(t testing.TB, dir string, need uint64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatalf("free space of %s: %v", dir, err)
	}
	free := st.Bavail * uint64(st.Bsize)
	if free >= need {
		return
	}
	testenv.Skip(t, "VM tier: %s has %.1f GiB free, the test needs %.1f GiB for its VM disks", dir, float64(free)/(1<<30), float64(need)/(1<<30))
}

// Missing names the first missing capability, or "" if all are there.
func Missing(tools ...string) string {
	if os.Geteuid() != 0 {
		return "needs root (network namespaces, taps)"
	}
	for _, tool := range append([]string{"qemu-system-x86_64", "ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("%s is not installed", tool)
		}
	}
	return ""
}
