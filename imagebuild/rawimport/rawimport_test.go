package rawimport_test

import (
	"os"
	"path/filepath"
	"testing"

	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/imagebuildtest"
	"ingot.dev/ingot/imagebuild/rawimport"
)

func TestConformance(t *testing.T) {
	file := filepath.Join(t.TempDir(), "disk.raw")
	if err := os.WriteFile(file, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	imagebuildtest.Run(t, rawimport.New(), imagebuildtest.Fixture{
		Recipe: imagebuild.Recipe{Name: "imported", Backend: rawimport.Name, File: file},
	})
}
