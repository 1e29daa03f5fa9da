package main

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// sysroot is a tree unpacked from a foreign architecture's .deb files: the
// tools' packages and the library packages they depend on. It stands in for
// the build machine's own / when the installer is for another architecture.
type sysroot struct {
	Root  string // the unpacked tree
	Stamp string // the .deb file names it was unpacked from, one per line
}

// fetchSysroot resolves the tools' packages and their library dependencies
// with a, downloads what is missing into cache/deb and unpacks them under
// cache, once per set of package versions.
func fetchSysroot(ctx context.Context, log *slog.Logger, a apt, cache string) (sysroot, error) {
	pkgs, err := libraryClosure(ctx, a, toolPackages())
	if err != nil {
		return sysroot{}, err
	}
	files, err := a.debFiles(ctx, pkgs)
	if err != nil {
		return sysroot{}, err
	}
	var stamp strings.Builder
	for _, p := range pkgs {
		stamp.WriteString(files[p] + "\n")
	}
	sum := sha256.Sum256([]byte(stamp.String()))
	s := sysroot{Root: filepath.Join(cache, "sysroot-"+hex.EncodeToString(sum[:8])), Stamp: stamp.String()}
	if _, err := os.Stat(filepath.Join(s.Root, ".done")); err == nil {
		return s, nil
	}
	dl := filepath.Join(cache, "deb")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return s, fmt.Errorf("creating %s: %w", dl, err)
	}
	var missing []string
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(dl, files[p])); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		log.Info("downloading tool packages", "packages", len(missing))
		if err := a.download(ctx, dl, missing...); err != nil {
			return s, err
		}
	}
	if err := os.RemoveAll(s.Root); err != nil {
		return s, fmt.Errorf("cleaning %s: %w", s.Root, err)
	}
	for _, p := range pkgs {
		if err := runTool(ctx, "", "dpkg", "-x", filepath.Join(dl, files[p]), s.Root); err != nil {
			return s, err
		}
	}
	return s, os.WriteFile(filepath.Join(s.Root, ".done"), nil, 0o644)
}

// toolPackages returns the Debian packages of the tools, each once.
func toolPackages() []string {
	var pkgs []string
	for _, t := range tools {
		if !slices.Contains(pkgs, t.Package) {
			pkgs = append(pkgs, t.Package)
		}
	}
	return pkgs
}

// libraryClosure returns roots and every library package they depend on,
// directly or not, sorted.
func libraryClosure(ctx context.Context, a apt, roots []string) ([]string, error) {
	seen := map[string]bool{}
	next := roots
	for len(next) > 0 {
		for _, p := range next {
			seen[p] = true
		}
		deps, err := a.libraryDeps(ctx, next)
		if err != nil {
			return nil, err
		}
		next = nil
		for _, d := range deps {
			if !seen[d] && !slices.Contains(next, d) {
				next = append(next, d)
			}
		}
	}
	all := make([]string, 0, len(seen))
	for p := range seen {
		all = append(all, p)
	}
	slices.Sort(all)
	return all, nil
}

// libDirs are where the dynamic loader of a Debian system looks, relative to
// the root.
func libDirs(triplet string) []string {
	return []string{"lib/" + triplet, "usr/lib/" + triplet, "lib", "usr/lib"}
}

// addSysrootTools puts every tool, its links, its ELF interpreter and the
// shared libraries it needs (DT_NEEDED, transitively, plus dlopened) from s
// into a, each library at the path the loader looks for.
func addSysrootTools(a archive, s sysroot, t target) error {
	var queue []string // guest paths of ELF files whose needs are not yet added
	for _, tl := range tools {
		rel, err := s.find(path.Base(tl.Host), "usr/sbin", "sbin", "usr/bin", "bin")
		if err != nil {
			return fmt.Errorf("%w (Debian package %s)", err, tl.Package)
		}
		a.add(entry{Name: tl.Guest, Mode: modeFile | 0o755, Src: filepath.Join(s.Root, s.resolve(rel))})
		for _, l := range tl.Links {
			target, _ := filepath.Rel(filepath.Dir(l), tl.Guest)
			a.add(entry{Name: l, Mode: modeSymlink | 0o777, Data: []byte(target)})
		}
		queue = append(queue, tl.Guest)
	}
	for _, l := range t.Dlopened {
		queue = append(queue, s.addLib(a, l))
	}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		interp, needed, err := elfNeeds(a[g].Src, t.Machine)
		if err != nil {
			return err
		}
		if interp != "" {
			if _, ok := a[strings.Trim(interp, "/")]; !ok {
				queue = append(queue, s.addLib(a, strings.Trim(interp, "/")))
			}
		}
		for _, n := range needed {
			rel, err := s.find(n, libDirs(t.Triplet)...)
			if err != nil {
				return fmt.Errorf("%s needs %w", g, err)
			}
			if _, ok := a[rel]; !ok {
				queue = append(queue, s.addLib(a, rel))
			}
		}
	}
	return nil
}

// addLib adds the file at rel (following symlinks inside s) to a as rel.
func (s sysroot) addLib(a archive, rel string) string {
	a.add(entry{Name: rel, Mode: modeFile | 0o755, Src: filepath.Join(s.Root, s.resolve(rel))})
	return rel
}

// find returns the path relative to the root of the first dirs/name that
// exists in s.
func (s sysroot) find(name string, dirs ...string) (string, error) {
	for _, d := range dirs {
		rel := path.Join(d, name)
		if _, err := os.Stat(filepath.Join(s.Root, s.resolve(rel))); err == nil {
			return rel, nil
		}
	}
	return "", fmt.Errorf("%s, which is in none of %s under %s", name, strings.Join(dirs, ", "), s.Root)
}

// resolve follows the symlinks of rel inside s (absolute targets are
// relative to s's root) and returns the real file's path relative to it.
func (s sysroot) resolve(rel string) string {
	for range 16 {
		target, err := os.Readlink(filepath.Join(s.Root, rel))
		if err != nil {
			return rel
		}
		if path.IsAbs(target) {
			rel = strings.TrimPrefix(path.Clean(target), "/")
		} else {
			rel = path.Join(path.Dir(rel), target)
		}
	}
	return rel
}

// elfNeeds returns the program interpreter and the DT_NEEDED libraries of
// the ELF file at p, which must be built for machine; none for static
// programs.
func elfNeeds(p string, machine elf.Machine) (interp string, needed []string, err error) {
	f, err := elf.Open(p)
	if err != nil {
		return "", nil, fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	if f.Machine != machine {
		return "", nil, fmt.Errorf("%s is built for %s, not %s", p, f.Machine, machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err != nil {
				return "", nil, fmt.Errorf("reading the interpreter of %s: %w", p, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	needed, err = f.ImportedLibraries()
	if err != nil {
		return "", nil, fmt.Errorf("reading the libraries of %s: %w", p, err)
	}
	return interp, needed, nil
}
