package imagebuild

import (
	"fmt"
	"sort"
	"strings"
)

// Registry maps backend names to builders. main fills it explicitly; there
// is no init-time registration.
type Registry struct {
	builders map[string]Builder
}

// NewRegistry returns a registry holding bs. It panics on a duplicate name.
func NewRegistry(bs ...Builder) *Registry {
	r := &Registry{builders: map[string]Builder{}}
	for _, b := range bs {
		r.Register(b)
	}
	return r
}

// Register adds b. It panics if a builder with b's name is registered: that
// is a wiring bug in main, not a run-time condition.
func (r *Registry) Register(b Builder) {
	if _, dup := r.builders[b.Name()]; dup {
		panic(fmt.Sprintf("imagebuild: builder %q registered twice", b.Name()))
	}
	r.builders[b.Name()] = b
}

// Names lists the registered backends, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.builders))
	for n := range r.builders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the builder named name, or an error listing the known ones.
func (r *Registry) Lookup(name string) (Builder, error) {
	if b, ok := r.builders[name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("unknown backend %q (known: %s): %w", name, join(r.Names()), ErrUnknownBackend)
}

func join(names []string) string {
	if len(names) == 0 {
		return "none registered"
	}
	return strings.Join(names, ", ")
}
