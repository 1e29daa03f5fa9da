// Package archtest holds the test that enforces Ingot's import rules
// (DESIGN.md §4, CONVENTIONS.md): which packages may depend on which.
package archtest
