package auth

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"ingot.dev/ingot/api"
)

// Scope words.
const (
	// Admin allows everything, installer scopes included.
	Admin = "admin"
	// HostRead allows reading hosts and their inventory.
	HostRead = "host:read"
	// ImageBuild allows running image builds on the server (their result
	// lands in an image set, which needs imageset:manage too).
	ImageBuild = "image:build"
)

// namedKinds are the scope prefixes followed by a resource name (or glob).
var namedKinds = []string{
	"imageset:manage:",
	"imageset:deploy:",
	"hostgroup:manage:",
	"hostgroup:deploy:",
	"host:recovery:",
}

const installerPrefix = "installer:"

const acceptedForms = "admin, host:read, image:build, imageset:manage:<name>, imageset:deploy:<name>, " +
	"hostgroup:manage:<name>, hostgroup:deploy:<name>, host:recovery:<name> " +
	"(a name may be a glob such as rack-* or *)"

var (
	// nameRE is the resource name syntax shared by hosts, hostgroups and image sets.
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	// globRE is what a name glob may be made of: name characters and glob syntax.
	globRE = regexp.MustCompile(`^[a-z0-9._\-*?\[\]^!]{1,128}$`)
)

// InstallerScope is the scope the server grants the installer token of
// deployment id. Only the server issues it; ValidScope refuses it.
func InstallerScope(id api.DeploymentID) string {
	return installerPrefix + string(id)
}

// ValidScope reports whether s may be granted to an API token. Installer
// scopes are refused: the server issues them itself.
func ValidScope(s string) error {
	switch s {
	case Admin, HostRead, ImageBuild:
		return nil
	}
	if strings.HasPrefix(s, installerPrefix) {
		return fmt.Errorf("invalid scope %q: installer scopes are issued by the server only; use one of %s", s, acceptedForms)
	}
	_, name, ok := splitNamed(s)
	if !ok {
		return fmt.Errorf("invalid scope %q: want one of %s", s, acceptedForms)
	}
	if err := validName(name); err != nil {
		return fmt.Errorf("invalid scope %q: %w; want one of %s", s, err, acceptedForms)
	}
	return nil
}

// validName checks the name part of a named scope: a resource name or a glob.
func validName(name string) error {
	if nameRE.MatchString(name) {
		return nil
	}
	if !isGlob(name) || !globRE.MatchString(name) {
		return fmt.Errorf("name %q must be lowercase letters, digits, '.', '_' and '-' (at most 63), or a glob of them", name)
	}
	if _, err := path.Match(name, ""); err != nil {
		return fmt.Errorf("name glob %q is malformed: %w", name, err)
	}
	return nil
}

// splitNamed splits a named scope into its kind prefix (with the trailing
// ':') and its name.
func splitNamed(s string) (kind, name string, ok bool) {
	for _, k := range namedKinds {
		if n, found := strings.CutPrefix(s, k); found {
			return k, n, true
		}
	}
	return "", "", false
}

func isGlob(name string) bool {
	return strings.ContainsAny(name, `*?[\`)
}

// Allows reports whether the granted scopes allow need. Admin allows
// everything. A granted scope allows need when it is equal to it, or when
// it is a named scope of the same kind whose name (or glob) matches need's
// name. A need whose own name is a glob is allowed only by the same glob
// or by the "*" glob of its kind. Malformed granted scopes allow nothing
// but themselves.
func Allows(granted []string, need string) bool {
	for _, g := range granted {
		if g == Admin || g == need || allowsNamed(g, need) {
			return true
		}
	}
	return false
}

func allowsNamed(granted, need string) bool {
	gk, gname, ok := splitNamed(granted)
	if !ok || validName(gname) != nil {
		return false
	}
	nk, nname, ok := splitNamed(need)
	if !ok || nk != gk || nname == "" || strings.ContainsAny(nname, ":/") {
		return false
	}
	if isGlob(nname) {
		return gname == "*"
	}
	matched, err := path.Match(gname, nname)
	return err == nil && matched
}

// Missing returns the scopes in need that granted does not allow, in the
// order given, or nil if all are allowed. It is meant for 403 messages.
func Missing(granted []string, need ...string) []string {
	var missing []string
	for _, n := range need {
		if !Allows(granted, n) {
			missing = append(missing, n)
		}
	}
	return missing
}
