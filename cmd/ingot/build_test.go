package main

import (
	"slices"
	"testing"
	"time"
)

func TestBuildersRegistered(t *testing.T) {
	reg, err := builders(time.Unix(0, 0), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Names(), []string{"debootstrap", "import", "mkosi", "oci"}; !slices.Equal(got, want) {
		t.Fatalf("registered builders %v, want %v", got, want)
	}
}
