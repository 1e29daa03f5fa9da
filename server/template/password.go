package template

import (
	"regexp"
	"strings"

	"ingot.dev/ingot/api"
)

const passwordPath = "values.password_hash"

// cryptHashes are the crypt(3) formats accepted, as whole-value patterns:
// SHA-512 ($6$), yescrypt ($y$), SHA-256 ($5$) and bcrypt ($2b$).
var cryptHashes = []*regexp.Regexp{
	regexp.MustCompile(`\A\$6\$(rounds=[0-9]{1,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}\z`),
	regexp.MustCompile(`\A\$y\$[./0-9A-Za-z]+\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{43}\z`),
	regexp.MustCompile(`\A\$5\$(rounds=[0-9]{1,9}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{43}\z`),
	regexp.MustCompile(`\A\$2b\$(0[4-9]|[12][0-9]|3[01])\$[./0-9A-Za-z]{53}\z`),
}

// checkPassword checks the password hash. It never puts the value in an
// error: a user may have sent a plaintext password by mistake.
func checkPassword(c *collector, r api.StringRule, h string) {
	if h == "" {
		if r.Required {
			c.add(passwordPath, nil, "required by the hostgroup template")
		}
		return
	}
	if !r.Allowed {
		c.locked(passwordPath, "password_hash", nil)
		return
	}
	if !isCryptHash(h) {
		msg := "not a crypt(3) password hash ($6$, $y$, $5$ or $2b$)"
		if !strings.HasPrefix(h, "$") {
			msg += "; this looks like a plaintext password, which is never accepted"
		}
		c.add(passwordPath, nil, "%s: make a hash with `mkpasswd -m yescrypt` or `openssl passwd -6`", msg)
		return
	}
	checkPattern(c, passwordPath, nil, h, r.Pattern, "password_hash.pattern")
}

func isCryptHash(h string) bool {
	for _, re := range cryptHashes {
		if re.MatchString(h) {
			return true
		}
	}
	return false
}
