package imagecheck_test

import (
	"testing"

	"ingot.dev/ingot/image/manifest"
)

func mustHash(t *testing.T, s string) manifest.Hash {
	t.Helper()
	h, err := manifest.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
