package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// errDownload marks a failed apt-get download: with a private package list
// it usually means the list is stale (the mirror moved on), and one
// apt-get update fixes it.
var errDownload = errors.New("downloading packages")

// apt runs apt-get and apt-cache. The zero value uses the host's own package
// lists (the native architecture); foreign architectures get a private
// state directory: the host's sources (/etc/apt/sources.list.d), lists for
// that architecture only, and an empty dpkg status, so nothing on the host
// changes.
type apt struct {
	dir  string   // private state directory; "" for the host's
	opts []string // -o options for every apt command
}

// foreignApt returns an apt for arch with its state under dir.
func foreignApt(arch, dir string) (apt, error) {
	// apt takes a relative Dir::State::Lists as relative to /var/lib/apt.
	dir, err := filepath.Abs(dir)
	if err != nil {
		return apt{}, fmt.Errorf("apt state directory: %w", err)
	}
	return apt{dir: dir, opts: []string{
		"-o", "APT::Architecture=" + arch,
		"-o", "APT::Architectures::=" + arch,
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::State::status=" + filepath.Join(dir, "status"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		// Keep apt's parsed package cache (some hosts turn it off) so that
		// the several apt-cache calls of a cached build do not each parse
		// the lists.
		"-o", "Dir::Cache::pkgcache=pkgcache.bin",
		"-o", "Dir::Cache::srcpkgcache=srcpkgcache.bin",
		"-o", "Debug::NoLocking=1",
		"-o", "APT::Sandbox::User=root",
		"-o", "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false",
	}}, nil
}

func (a apt) command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, append(append([]string{}, a.opts...), args...)...)
	cmd.Dir = dir
	return cmd
}

// output runs apt-cache or apt-get and returns its standard output.
func (a apt) output(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := a.command(ctx, "", name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// ensureLists fetches the private package lists when there are none yet.
func (a apt) ensureLists(ctx context.Context) error {
	if a.dir == "" {
		return nil
	}
	if ls, _ := filepath.Glob(filepath.Join(a.dir, "lists", "*_Packages*")); len(ls) > 0 {
		return nil
	}
	return a.update(ctx)
}

// update refreshes the private package lists from the host's sources.
func (a apt) update(ctx context.Context) error {
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(a.dir, d), 0o755); err != nil {
			return fmt.Errorf("creating apt state: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(a.dir, "status"), nil, 0o644); err != nil {
		return fmt.Errorf("creating apt state: %w", err)
	}
	cmd := a.command(ctx, "", "apt-get", "-q", "update")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("apt-get update (lists in %s): %w: %s", a.dir, err, bytes.TrimSpace(out))
	}
	return nil
}

// download fetches pkgs as .deb files into dir.
func (a apt) download(ctx context.Context, dir string, pkgs ...string) error {
	cmd := a.command(ctx, dir, "apt-get", append([]string{"download"}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: apt-get download %s: %w: %s", errDownload, strings.Join(pkgs, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// debFiles returns the file name apt-get download gives each of pkgs, by
// package, without downloading anything.
func (a apt) debFiles(ctx context.Context, pkgs []string) (map[string]string, error) {
	out, err := a.output(ctx, "apt-get", append([]string{"download", "--print-uris"}, pkgs...)...)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		// 'URI' pkg_version_arch.deb size hash
		f := strings.Fields(s.Text())
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(f[1], "_")
		files[name] = f[1]
	}
	for _, p := range pkgs {
		if files[p] == "" {
			return nil, fmt.Errorf("apt-get download --print-uris names no file for %s", p)
		}
	}
	return files, nil
}

// libraryDeps returns the packages pkgs depend on (Depends and PreDepends)
// whose names start with "lib": the shared library packages. Programs,
// virtual packages and configuration packages (udev, debconf) are not
// followed.
func (a apt) libraryDeps(ctx context.Context, pkgs []string) ([]string, error) {
	out, err := a.output(ctx, "apt-cache", append([]string{"depends", "--no-recommends", "--no-suggests",
		"--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"}, pkgs...)...)
	if err != nil {
		return nil, err
	}
	return parseLibraryDeps(out), nil
}

// parseLibraryDeps picks the lib* packages from apt-cache depends output.
func parseLibraryDeps(out []byte) []string {
	var deps []string
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		l := strings.TrimLeft(s.Text(), " |")
		for _, p := range []string{"Depends: ", "PreDepends: "} {
			if d, ok := strings.CutPrefix(l, p); ok && strings.HasPrefix(d, "lib") {
				deps = append(deps, strings.TrimSuffix(d, ":any"))
			}
		}
	}
	return deps
}
