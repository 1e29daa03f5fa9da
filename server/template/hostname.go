package template

import (
	"fmt"
	"strings"

	"ingot.dev/ingot/api"
)

const hostnamePath = "values.hostname"

func checkHostname(c *collector, r api.StringRule, h string) {
	if h == "" {
		if r.Required {
			c.add(hostnamePath, nil, "required by the hostgroup template")
		}
		return
	}
	if !r.Allowed {
		c.locked(hostnamePath, "hostname", h)
		return
	}
	if err := validHostname(h); err != nil {
		c.add(hostnamePath, h, "%v", err)
	}
	checkPattern(c, hostnamePath, h, h, r.Pattern, "hostname.pattern")
}

// validHostname checks h against RFC 1123 in the lowercase form the
// installer writes: dot-separated labels of 1 to 63 characters from
// [a-z0-9-], none starting or ending with '-', 253 characters in all.
func validHostname(h string) error {
	if len(h) > 253 {
		return fmt.Errorf("not a valid hostname: %d characters, at most 253 allowed", len(h))
	}
	if strings.ToLower(h) != h {
		return fmt.Errorf("not a valid hostname: use lowercase (%q)", strings.ToLower(h))
	}
	for i, label := range strings.Split(h, ".") {
		if err := validLabel(label); err != nil {
			return fmt.Errorf("not a valid hostname: label %d %w", i+1, err)
		}
	}
	return nil
}

func validLabel(l string) error {
	switch {
	case l == "":
		return fmt.Errorf("is empty (leading, trailing or double dot)")
	case len(l) > 63:
		return fmt.Errorf("%q is %d characters, at most 63 allowed", l, len(l))
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("%q starts or ends with '-'", l)
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("%q has %q; only a-z, 0-9 and '-' are allowed", l, r)
		}
	}
	return nil
}
