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
	"testing"
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
	if os.Getenv("CI") == "true" {
		t.Fatalf("VM tier: %s (CI machines must have it: see .ci/run)", missing)
	}
	t.Skipf("VM tier skipped: %s", missing)
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
