// Package imagebuild turns a Recipe into image payloads: it defines the
// Builder contract that every backend (debootstrap, mkosi, oci, import)
// implements, the explicit Registry that main fills with them, and Build, the
// pipeline that validates a recipe, runs its backend in a private work
// directory, assembles a root tree into bootable payloads and removes the work
// directory when anything fails.
package imagebuild

import (
	"context"

	"ingot.dev/ingot/image/manifest"
)

// Builder is one backend: it turns a recipe into a root filesystem tree or
// into ready payload files.
type Builder interface {
	// Name is the recipe's backend value that selects this builder.
	Name() string
	// Validate checks the recipe's backend-specific fields. It is pure: no
	// network, no disk, so it can run on every API request.
	Validate(r Recipe) error
	// Capabilities describes what the backend produces and needs.
	Capabilities() Capabilities
	// Build runs the backend. Everything it writes goes under workDir, which
	// exists and is empty; the caller removes it.
	Build(ctx context.Context, r Recipe, workDir string) (*Result, error)
}

// Output says what form a backend's result takes.
type Output string

// Outputs a backend may produce.
const (
	OutputTree     Output = "tree"     // a root filesystem directory, assembled by Ingot
	OutputPayloads Output = "payloads" // finished payload files, published as they are
)

// Capabilities is what a backend can do, as data for the API and the CLI.
type Capabilities struct {
	Output    Output   `json:"output"`
	Arches    []string `json:"arches"`
	Firmware  []string `json:"firmware"`            // firmware a result can boot with
	Layouts   bool     `json:"layouts"`             // honours Recipe.Layout (split filesystems)
	Packages  bool     `json:"packages"`            // honours Recipe.Packages
	Network   bool     `json:"network"`             // Build needs network access
	HostTools []string `json:"host_tools,omitzero"` // programs Build runs
}

// Result is what Build produced: Tree for OutputTree backends, Payloads for
// OutputPayloads backends.
type Result struct {
	Tree     string
	Payloads []PayloadFile
	OS       manifest.OS
}

// PayloadFile is one payload's bytes in a file.
type PayloadFile struct {
	Role   string
	Kind   manifest.Kind
	FSType string
	Path   string
}
