package template

import (
	"fmt"
	"path"
	"strings"

	"ingot.dev/ingot/api"
)

const filesPath = "values.files"

// DefaultMaxFileBytes is the content limit when the template sets none.
const DefaultMaxFileBytes = 64 << 10

// maxModeBits are the permission bits a file may have.
const maxModeBits = 0o7777

func checkFiles(c *collector, r api.FileRule, files []api.File) {
	if len(files) > 0 && !r.Allowed {
		c.locked(filesPath, "files", len(files))
		return
	}
	countLimits(c, filesPath, "files", len(files), 0, r.Max)
	maxBytes := r.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFileBytes
	}
	seen := map[string]int{}
	for i, f := range files {
		p := fmt.Sprintf("%s[%d]", filesPath, i)
		if checkFilePath(c, p+".path", f.Path, r.Paths) {
			if j, dup := seen[f.Path]; dup {
				c.add(p+".path", f.Path, "the same path as %s[%d].path", filesPath, j)
			} else {
				seen[f.Path] = i
			}
		}
		if len(f.Content) > maxBytes {
			c.add(p+".content", nil, "content is %d bytes, more than the hostgroup template allows (%d, template.files.max_bytes)",
				len(f.Content), maxBytes)
		}
		if f.Mode > maxModeBits {
			c.add(p+".mode", f.Mode, "mode %#o has bits beyond the permission bits %#o", f.Mode, maxModeBits)
		}
	}
}

// checkFilePath reports whether p is a clean absolute path matching one of
// globs (any path if there are none), reporting why not.
func checkFilePath(c *collector, at, p string, globs []string) bool {
	if err := cleanAbsolute(p); err != nil {
		c.add(at, p, "%v", err)
		return false
	}
	if len(globs) > 0 && !matchAny(globs, p) {
		c.add(at, p, "not a path the hostgroup template allows (template.files.paths): %s", strings.Join(globs, ", "))
		return false
	}
	return true
}

// cleanAbsolute checks that p is an absolute path to a file, in clean form,
// without "..", control characters or overlong names.
func cleanAbsolute(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("missing: want an absolute path such as /etc/motd")
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("contains a control character")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("not absolute: want a path starting with '/'")
	case p == "/":
		return fmt.Errorf("is the root directory, not a file")
	case len(p) > 4095:
		return fmt.Errorf("%d bytes long, at most 4095 allowed", len(p))
	}
	for _, e := range strings.Split(p[1:], "/") {
		if e == ".." {
			return fmt.Errorf("contains '..'")
		}
		if len(e) > 255 {
			return fmt.Errorf("has a name of %d bytes, at most 255 allowed", len(e))
		}
	}
	if c := path.Clean(p); c != p {
		return fmt.Errorf("not in clean form (no '.', '//' or trailing '/'): did you mean %s", c)
	}
	return nil
}

func matchAny(globs []string, p string) bool {
	for _, g := range globs {
		if ok, err := path.Match(g, p); err == nil && ok {
			return true
		}
	}
	return false
}
