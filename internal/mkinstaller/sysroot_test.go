package main

import (
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/internal/testenv"
)

func TestParseLibraryDeps(t *testing.T) {
	out := `mdadm
  PreDepends: init-system-helpers
 |Depends: debconf
  Depends: <debconf-2.0>
    cdebconf
  Depends: libc6
  Depends: libudev1
  Depends: udev
libcryptsetup12
  Depends: libargon2-1
  PreDepends: libssl3
  Depends: <python3:any>
`
	want := []string{"libc6", "libudev1", "libargon2-1", "libssl3"}
	if d := cmp.Diff(want, parseLibraryDeps([]byte(out))); d != "" {
		t.Errorf("parseLibraryDeps (-want +got):\n%s", d)
	}
}

// TestSysrootResolve follows relative and absolute (root-relative) symlinks
// the way a Debian tree has them, without leaving the tree.
func TestSysrootResolve(t *testing.T) {
	s := sysroot{Root: t.TempDir()}
	for _, d := range []string{"lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu"} {
		if err := os.MkdirAll(filepath.Join(s.Root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(s.Root, "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"), []byte("ld"), 0o755))
	must(os.Symlink("/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", filepath.Join(s.Root, "lib/ld-linux-aarch64.so.1")))
	must(os.WriteFile(filepath.Join(s.Root, "usr/lib/aarch64-linux-gnu/libpopt.so.0.0.2"), []byte("popt"), 0o644))
	must(os.Symlink("libpopt.so.0.0.2", filepath.Join(s.Root, "usr/lib/aarch64-linux-gnu/libpopt.so.0")))
	for rel, want := range map[string]string{
		"lib/ld-linux-aarch64.so.1":              "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
		"usr/lib/aarch64-linux-gnu/libpopt.so.0": "usr/lib/aarch64-linux-gnu/libpopt.so.0.0.2",
		"usr/lib/aarch64-linux-gnu/nosuch.so":    "usr/lib/aarch64-linux-gnu/nosuch.so",
	} {
		if got := s.resolve(rel); got != want {
			t.Errorf("resolve(%s) = %s, want %s", rel, got, want)
		}
	}
	got, err := s.find("libpopt.so.0", libDirs("aarch64-linux-gnu")...)
	if err != nil || got != "usr/lib/aarch64-linux-gnu/libpopt.so.0" {
		t.Errorf("find(libpopt.so.0) = %q, %v", got, err)
	}
	if _, err := s.find("libnosuch.so.1", libDirs("aarch64-linux-gnu")...); err == nil || !strings.Contains(err.Error(), "libnosuch.so.1") {
		t.Errorf("find(libnosuch.so.1) error = %v, want one naming the library", err)
	}
}

// TestELFNeeds reads a host tool's interpreter and libraries, and refuses
// it as an arm64 file.
func TestELFNeeds(t *testing.T) {
	const tool = "/usr/sbin/mke2fs"
	if _, err := os.Stat(tool); err != nil {
		testenv.Skip(t, "%s is missing (Debian package e2fsprogs)", tool)
	}
	interp, needed, err := elfNeeds(tool, elf.EM_X86_64)
	if err != nil {
		t.Fatal(err)
	}
	if interp != "/lib64/ld-linux-x86-64.so.2" || !slices.Contains(needed, "libext2fs.so.2") {
		t.Errorf("elfNeeds(%s) = %q, %v", tool, interp, needed)
	}
	if _, _, err := elfNeeds(tool, elf.EM_AARCH64); err == nil || !strings.Contains(err.Error(), "EM_X86_64") {
		t.Errorf("elfNeeds(%s, arm64) error = %v, want a machine mismatch", tool, err)
	}
}

func TestLookupTarget(t *testing.T) {
	if tg, err := lookupTarget("arm64"); err != nil || tg.Triplet != "aarch64-linux-gnu" || tg.Machine != elf.EM_AARCH64 {
		t.Errorf("lookupTarget(arm64) = %+v, %v", tg, err)
	}
	if _, err := lookupTarget("riscv64"); err == nil || !strings.Contains(err.Error(), "amd64, arm64") {
		t.Errorf("lookupTarget(riscv64) error = %v, want the known architectures", err)
	}
}
