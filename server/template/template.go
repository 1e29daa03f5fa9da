// Package template checks a host's per-host values against its hostgroup's
// template, and checks the template itself. Everything the template does
// not allow is locked; everything it allows is held to its limits and to
// what the installer can safely write (valid hostnames, parseable SSH keys,
// crypt(3) password hashes, contained file paths).
package template

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"

	"ingot.dev/ingot/api"
)

// FieldError is one problem with one field. Path is a JSON path such as
// "values.ssh_keys[2]" or "template.hostname.pattern"; Value is the
// offending value, or nil where echoing it could leak a secret (password
// hashes, file content).
type FieldError struct {
	Path    string
	Message string
	Value   any
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// Check returns the problems with v under template t, sorted by path (list
// indices in numeric order), or nil if there are none. Paths are relative
// to a request body holding v under "values". Check never fails on a broken
// template: it reports the values it cannot check instead.
func Check(t api.Template, v api.HostValues) []FieldError {
	var c collector
	checkHostname(&c, t.Hostname, v.Hostname)
	checkSSHKeys(&c, t.SSHKeys, v.SSHKeys)
	checkAddresses(&c, t.Addresses, v.Addresses)
	checkFiles(&c, t.Files, v.Files)
	checkPassword(&c, t.PasswordHash, v.PasswordHash)
	return c.sorted()
}

// collector gathers field errors.
type collector struct {
	errs []FieldError
}

func (c *collector) add(path string, value any, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...), Value: value})
}

// locked reports a value for a field the template does not allow.
func (c *collector) locked(path, field string, value any) {
	c.add(path, value, "locked by the hostgroup template: the hostgroup must set template.%s.allowed to accept it", field)
}

// sorted returns the errors ordered by path, keeping the order of errors
// on the same path; nil if there are none.
func (c *collector) sorted() []FieldError {
	if len(c.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(c.errs, func(a, b FieldError) int { return comparePaths(a.Path, b.Path) })
	return c.errs
}

// comparePaths orders paths as strings, except that runs of digits compare
// by number, so "ssh_keys[2]" comes before "ssh_keys[10]".
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			if c := compareNumbers(a[:da], b[:db]); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// compareNumbers compares two runs of decimal digits by value.
func compareNumbers(a, b string) int {
	for len(a) > 1 && a[0] == '0' {
		a = a[1:]
	}
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	for i := range len(a) {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// maxPatternLen is the longest pattern a template may hold.
const maxPatternLen = 512

// compileWhole compiles pattern so that it must match a whole value. The
// pattern is first compiled alone, so that "a)|(b" is refused rather than
// turned into something else by the anchoring group.
func compileWhole(pattern string) (*regexp.Regexp, error) {
	if re, ok := compiled.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(`\A(?:` + pattern + `)\z`)
	if err != nil {
		return nil, err
	}
	if compiledCount.Add(1) > maxCompiled { // templates are few; a flood of patterns is not
		compiled.Clear()
		compiledCount.Store(0)
	}
	compiled.Store(pattern, re)
	return re, nil
}

// compiled caches the anchored regexps of template patterns: every host
// create and update checks them. A *regexp.Regexp is safe for concurrent use.
var (
	compiled      sync.Map
	compiledCount atomic.Int64
)

const maxCompiled = 1024

// checkPattern reports s at path if it does not wholly match pattern.
// field names the template field holding the pattern, for the message.
func checkPattern(c *collector, path string, value any, s, pattern, field string) {
	if pattern == "" {
		return
	}
	re, err := compileWhole(pattern)
	if err != nil {
		c.add(path, value, "cannot be checked: the hostgroup's template.%s is not a valid RE2 expression: %v", field, err)
		return
	}
	if !re.MatchString(s) {
		c.add(path, value, "does not match the hostgroup template's %s %q", field, pattern)
	}
}

// countLimits reports a list of n items outside [min, max]; max 0 means no
// limit.
func countLimits(c *collector, path, field string, n, minimum, maximum int) {
	if n < minimum {
		c.add(path, n, "the hostgroup template requires at least %d (template.%s.min), got %d", minimum, field, n)
	}
	if maximum > 0 && n > maximum {
		c.add(path, n, "the hostgroup template allows at most %d (template.%s.max), got %d", maximum, field, n)
	}
}
