package imagebuild

import (
	"fmt"
	"slices"
	"time"
)

// backendFields names the recipe fields that belong to one backend.
var backendFields = []struct{ name, backend string }{
	{"suite", "debootstrap"}, {"mirror", "debootstrap"}, {"packages", "debootstrap"},
	{"config", "mkosi"}, {"reference", "oci"}, {"file", "import"},
}

// OnlyFields returns an error naming the first backend-specific field of r
// that is set but not in allowed: a recipe for one backend carrying another's
// inputs is a mistake to report, not to ignore.
func OnlyFields(r Recipe, allowed ...string) error {
	set := map[string]bool{
		"suite": r.Suite != "", "mirror": r.Mirror != "", "packages": len(r.Packages) > 0,
		"config": r.Config != "", "reference": r.Reference != "", "file": r.File != "",
	}
	for _, f := range backendFields {
		if set[f.name] && !slices.Contains(allowed, f.name) {
			return fmt.Errorf("recipe %s: field %s is for the %s backend, not %s", r.Name, f.name, f.backend, r.Backend)
		}
	}
	return nil
}

// Epoch returns t, or the current time to the second when t is zero (no
// SOURCE_DATE_EPOCH: the build is not reproducible).
func Epoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC().Truncate(time.Second)
	}
	return t.UTC()
}
