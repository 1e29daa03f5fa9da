package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"ingot.dev/ingot/api"
)

// Step is one typed unit of a deployment. Do and Undo must be idempotent:
// after a restart the engine runs the step in flight again, and it may undo
// a step whose Do never finished.
//
// A Do that must wait for outside input returns an error wrapping *Wait (or
// ErrWait); the engine parks the deployment and runs Do again when a signal
// arrives, when Wait.Until is reached, or when the deadline passes. A Do
// that fails may return an *api.StepError to give the operator a code and a
// hint.
type Step interface {
	Do(ctx context.Context) error
	Undo(ctx context.Context) error
}

// Progresser is implemented by steps that move bytes. The engine asks for
// progress after every Do and records it on the step.
type Progresser interface {
	Progress() *api.Progress
}

// Wait asks the engine to park a step. A zero Until waits for a signal (or
// the deployment deadline) only.
type Wait struct {
	Until  time.Time
	Reason string
}

func (w *Wait) Error() string {
	msg := "waiting"
	if w.Reason != "" {
		msg += " for " + w.Reason
	}
	if !w.Until.IsZero() {
		msg += " until " + w.Until.UTC().Format(time.RFC3339)
	}
	return msg
}

// ErrWait parks a step until a signal arrives or the deadline passes.
var ErrWait error = &Wait{}

// asWait reports whether err asks the engine to park the step.
func asWait(err error) (*Wait, bool) {
	var w *Wait
	if errors.As(err, &w) {
		return w, true
	}
	return nil, false
}

// Factory builds the step at index of d from its JSON params. It must
// decode params strictly and return an error naming what is wrong.
type Factory func(d api.Deployment, index int, params json.RawMessage) (Step, error)

// Registry maps step names to factories. Fill it in main; it is read-only
// once the engine runs.
type Registry struct {
	factories map[string]Factory
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: make(map[string]Factory)}
}

// Register adds a step kind. It panics on an empty or duplicate name or a nil
// factory: those are programming errors in main.
func (r *Registry) Register(name string, f Factory) {
	if name == "" {
		panic("engine: registering a step with an empty name")
	}
	if f == nil {
		panic(fmt.Sprintf("engine: registering step %q with a nil factory", name))
	}
	if _, dup := r.factories[name]; dup {
		panic(fmt.Sprintf("engine: step %q registered twice", name))
	}
	r.factories[name] = f
}

// Names lists the registered step kinds, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.factories))
	for n := range r.factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Build builds every step of d, in order. It fails on the first step whose
// kind is unknown or whose params do not decode.
func (r *Registry) Build(d api.Deployment) ([]Step, error) {
	steps := make([]Step, len(d.Steps))
	for i := range d.Steps {
		s, err := r.BuildStep(d, i)
		if err != nil {
			return nil, err
		}
		steps[i] = s
	}
	return steps, nil
}

// BuildStep builds step i of d.
func (r *Registry) BuildStep(d api.Deployment, i int) (Step, error) {
	if i < 0 || i >= len(d.Steps) {
		return nil, fmt.Errorf("step %d: out of range (deployment has %d steps)", i, len(d.Steps))
	}
	name := d.Steps[i].Name
	f, ok := r.factories[name]
	if !ok {
		return nil, fmt.Errorf("step %d %q: unknown step kind (known: %v)", i, name, r.Names())
	}
	s, err := f(d, i, d.Steps[i].Params)
	if err != nil {
		return nil, fmt.Errorf("step %d %q: %w", i, name, err)
	}
	return s, nil
}
