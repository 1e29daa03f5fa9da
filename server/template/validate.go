package template

import (
	"fmt"
	"net/netip"
	"path"
	"strings"

	"ingot.dev/ingot/api"
)

// maxListItems is the most items the API accepts in a per-host list.
const maxListItems = 64

// maxContentBytes is the largest file content the API accepts.
const maxContentBytes = 1 << 20

// ValidateTemplate returns the problems with template t itself, sorted by
// path ("template.hostname.pattern", "template.files.paths[1]"), or nil.
func ValidateTemplate(t api.Template) []FieldError {
	var c collector
	validateString(&c, "template.hostname", t.Hostname)
	validateList(&c, "template.ssh_keys", t.SSHKeys)
	validateAddressRule(&c, "template.addresses", t.Addresses)
	validateFileRule(&c, "template.files", t.Files)
	validateString(&c, "template.password_hash", t.PasswordHash)
	return c.sorted()
}

func validateString(c *collector, at string, r api.StringRule) {
	if r.Required && !r.Allowed {
		c.add(at+".required", true, "a required field must also be allowed, or no host can satisfy the template")
	}
	validatePattern(c, at+".pattern", r.Pattern)
}

func validatePattern(c *collector, at, pattern string) {
	if len(pattern) > maxPatternLen {
		c.add(at, nil, "%d characters long, at most %d allowed", len(pattern), maxPatternLen)
		return
	}
	if _, err := compileWhole(pattern); err != nil {
		c.add(at, pattern, "not a valid RE2 regular expression: %v", err)
	}
}

func validateList(c *collector, at string, r api.ListRule) {
	validateCount(c, at+".max", r.Max)
	switch {
	case r.Min < 0:
		c.add(at+".min", r.Min, "must not be negative")
	case r.Min > maxListItems:
		c.add(at+".min", r.Min, "more than the %d items a host may have", maxListItems)
	case r.Min > 0 && !r.Allowed:
		c.add(at+".min", r.Min, "a required list must also be allowed, or no host can satisfy the template")
	case r.Max > 0 && r.Max < r.Min:
		c.add(at+".max", r.Max, "less than min %d", r.Min)
	}
	validatePattern(c, at+".pattern", r.Pattern)
}

func validateCount(c *collector, at string, n int) {
	if n < 0 {
		c.add(at, n, "must not be negative (0 means no limit)")
	}
}

func validateAddressRule(c *collector, at string, r api.AddressRule) {
	validateCount(c, at+".max", r.Max)
	seen := map[netip.Prefix]int{}
	for i, n := range r.Networks {
		p := fmt.Sprintf("%s.networks[%d]", at, i)
		switch {
		case !n.IsValid():
			c.add(p, nil, "missing or invalid: want a network such as 10.0.0.0/24")
		case n.Masked() != n:
			c.add(p, n.String(), "host bits are set: did you mean %s", n.Masked())
		default:
			if j, dup := seen[n]; dup {
				c.add(p, n.String(), "the same network as %s.networks[%d]", at, j)
			}
			seen[n] = i
		}
	}
}

func validateFileRule(c *collector, at string, r api.FileRule) {
	validateCount(c, at+".max", r.Max)
	if r.MaxBytes < 0 {
		c.add(at+".max_bytes", r.MaxBytes, "must not be negative (0 means %d)", DefaultMaxFileBytes)
	} else if r.MaxBytes > maxContentBytes {
		c.add(at+".max_bytes", r.MaxBytes, "more than the %d bytes the API accepts for file content", maxContentBytes)
	}
	for i, g := range r.Paths {
		if err := validGlob(g); err != nil {
			c.add(fmt.Sprintf("%s.paths[%d]", at, i), g, "%v", err)
		}
	}
}

// validGlob checks a file path glob: well-formed for path.Match, absolute,
// clean and without "..".
func validGlob(g string) error {
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("not a valid glob: %w", err)
	}
	if !strings.HasPrefix(g, "/") {
		return fmt.Errorf("not absolute: want a glob starting with '/', such as /etc/motd.d/*")
	}
	if err := cleanAbsolute(g); err != nil {
		return err
	}
	return nil
}
