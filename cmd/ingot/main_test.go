package main

import (
	"os"
	"testing"

	"ingot.dev/ingot/internal/pgtest"
)

// TestMain lets the test binary act as the ingot binary: tests start it as
// a subprocess with INGOT_TEST_AS_MAIN=1 to kill and restart a real server.
func TestMain(m *testing.M) {
	if os.Getenv("INGOT_TEST_AS_MAIN") == "1" {
		os.Exit(mainExit())
	}
	os.Exit(pgtest.Main(m))
}
