// Package imagebuildtest is the conformance suite every imagebuild backend
// runs: naming, capabilities as data, pure and strict validation,
// cancellation, and a real build whose result has the promised shape.
package imagebuildtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/imagebuild"
)

// Fixture is what the suite needs from a backend's test.
type Fixture struct {
	// Recipe is valid for the backend and buildable on this machine.
	Recipe imagebuild.Recipe
	// Check, if set, runs extra checks on the built result.
	Check func(t *testing.T, res *imagebuild.Result)
}

// Run runs the suite against b.
func Run(t *testing.T, b imagebuild.Builder, f Fixture) {
	r := f.Recipe.WithDefaults()
	t.Run("Name", func(t *testing.T) {
		if b.Name() == "" || b.Name() != r.Backend {
			t.Errorf("Name() = %q, want the fixture recipe's backend %q", b.Name(), r.Backend)
		}
	})
	t.Run("Capabilities", func(t *testing.T) {
		c := b.Capabilities()
		if c.Output != imagebuild.OutputTree && c.Output != imagebuild.OutputPayloads {
			t.Errorf("Output = %q, want tree or payloads", c.Output)
		}
		if len(c.Arches) == 0 || len(c.Firmware) == 0 {
			t.Errorf("Capabilities %+v: want arches and firmware listed", c)
		}
	})
	t.Run("ValidateAccepts", func(t *testing.T) {
		if err := b.Validate(r); err != nil {
			t.Fatalf("Validate(fixture) = %v", err)
		}
	})
	t.Run("ValidateRejects", func(t *testing.T) {
		bad := map[string]func(*imagebuild.Recipe){
			"other backend": func(r *imagebuild.Recipe) { r.Backend = "not-" + r.Backend },
			"foreign fields": func(r *imagebuild.Recipe) {
				r.Suite, r.Config, r.Reference, r.File = "bookworm", "[Output]", "/x", "/x"
			},
			"required emptied": func(r *imagebuild.Recipe) { r.Suite, r.Config, r.Reference, r.File = "", "", "", "" },
		}
		for name, mutate := range bad {
			rr := r
			mutate(&rr)
			if err := b.Validate(rr); err == nil {
				t.Errorf("%s: Validate accepted %+v", name, rr)
			} else if !strings.Contains(err.Error(), r.Name) {
				t.Errorf("%s: error %q does not name the recipe", name, err)
			}
		}
	})
	t.Run("ValidateIsPure", func(t *testing.T) {
		// A pure Validate gives the same answer from any directory and
		// takes no time to speak of.
		start := time.Now()
		for range 100 {
			if err := b.Validate(r); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("100 Validate calls took %v: Validate must not touch network or disk", d)
		}
	})
	t.Run("BuildCancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := b.Build(ctx, r, t.TempDir())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Build with a cancelled context = %v, want context.Canceled", err)
		}
	})
	t.Run("Build", func(t *testing.T) {
		work := t.TempDir()
		res, err := b.Build(context.Background(), r, work)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		checkResult(t, b, res, work)
		if f.Check != nil {
			f.Check(t, res)
		}
	})
}

func checkResult(t *testing.T, b imagebuild.Builder, res *imagebuild.Result, work string) {
	switch b.Capabilities().Output {
	case imagebuild.OutputTree:
		if res.Tree == "" || !strings.HasPrefix(res.Tree, work+string(filepath.Separator)) {
			t.Fatalf("Tree = %q, want a directory under the work dir %s", res.Tree, work)
		}
		_, err1 := os.Stat(filepath.Join(res.Tree, "etc/os-release"))
		_, err2 := os.Stat(filepath.Join(res.Tree, "usr/lib/os-release"))
		if err1 != nil && err2 != nil {
			t.Errorf("tree %s has no os-release", res.Tree)
		}
		if res.OS.ID == "" {
			t.Errorf("OS = %+v, want the tree's os-release ID", res.OS)
		}
		if b, err := os.ReadFile(filepath.Join(res.Tree, "etc/machine-id")); err != nil || len(b) != 0 {
			t.Errorf("etc/machine-id = %q, %v: want an empty file so each host gets its own", b, err)
		}
	case imagebuild.OutputPayloads:
		if len(res.Payloads) == 0 {
			t.Fatal("no payloads")
		}
		for _, p := range res.Payloads {
			if _, err := os.Stat(p.Path); err != nil || p.Role == "" || p.Kind == "" {
				t.Errorf("payload %+v: %v", p, err)
			}
		}
	}
}
