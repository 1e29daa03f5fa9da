package ipxe

import (
	"fmt"
	"net/url"
	"strings"

	"ingot.dev/ingot/api"
)

func (s Script) check() error {
	if err := CheckBaseURL(s.Base); err != nil {
		return err
	}
	if s.Self != nil {
		if err := checkURL(s.Self); err != nil {
			return fmt.Errorf("script URL: %w", err)
		}
	}
	if s.Host != "" && !isHostname(s.Host) {
		return fmt.Errorf("host name %q: %w: want letters, digits, '-' and '.'", s.Host, ErrUnsafe)
	}
	if s.Decision == api.BootInstaller {
		if !allowed(string(s.Deployment), 128, wordChars) {
			return fmt.Errorf("deployment ID %q: %w", s.Deployment, ErrUnsafe)
		}
		if !allowed(s.Token, 1024, tokenChars) {
			return fmt.Errorf("installer token: %w: want 1-1024 URL-safe characters", ErrUnsafe)
		}
	}
	for _, list := range [][]string{s.KernelArgs, s.Console} {
		for _, a := range list {
			if !allowed(a, 1024, argChars) {
				return fmt.Errorf("kernel argument %q: %w", a, ErrUnsafe)
			}
		}
	}
	return nil
}

// CheckBaseURL accepts only http(s)://host[:port][/path] made of characters
// that are inert in iPXE (no query, fragment or user info).
func CheckBaseURL(u *url.URL) error {
	if u == nil {
		return fmt.Errorf("base URL missing: %w", ErrUnsafe)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("base URL %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.ForceQuery {
		return fmt.Errorf("base URL %q: want scheme://host[:port][/path] without user, query or fragment", u.Redacted())
	}
	return checkURL(u)
}

func checkURL(u *url.URL) error {
	if s := u.String(); !allowed(s, 2048, urlChars) || strings.Contains(s, "&&") {
		return fmt.Errorf("URL %q: %w", s, ErrUnsafe)
	}
	return nil
}

const (
	alnum      = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	wordChars  = alnum + "._-"
	tokenChars = alnum + "._-~+/="
	argChars   = alnum + "._-~+/=,:@%"
	urlChars   = alnum + "._-~+/=,:@%?&[]"
)

// allowed reports whether s is 1..max characters, all from set.
func allowed(s string, max int, set string) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

func isHostname(s string) bool {
	if !allowed(s, 253, alnum+"-.") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}
