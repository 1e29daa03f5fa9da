// Package testenv decides what a test does when the machine lacks a
// capability (root, a tool, loop devices): skip with the reason on a
// developer's machine, fail in CI, whose machines have all of it.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Skip skips t with the reason, or fails it when CI=true.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI machines must have it: see scripts/install-deps)", msg)
	}
	t.Skip(msg)
}

// SkipShort skips a slow test (VMs, image builds, large simulations) in
// -short mode, saying what is skipped; under CI=true it fails instead, so
// CI can never pass by running with -short.
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("-short would skip %s: CI runs every tier, without -short", what)
	}
	t.Skipf("-short: %s is skipped", what)
}
