package imagebuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stuckBuilder writes into its work dir, then fails or waits for ctx.
type stuckBuilder struct{ fail bool }

func (stuckBuilder) Name() string               { return "stuck" }
func (stuckBuilder) Validate(Recipe) error      { return nil }
func (stuckBuilder) Capabilities() Capabilities { return Capabilities{Output: OutputTree} }
func (s stuckBuilder) Build(ctx context.Context, _ Recipe, dir string) (*Result, error) {
	if err := os.WriteFile(filepath.Join(dir, "half-done"), []byte("x"), 0o644); err != nil {
		return nil, err
	}
	if s.fail {
		return nil, errors.New("mirror on fire")
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestBuildCleansUp(t *testing.T) {
	tests := []struct {
		name    string
		b       stuckBuilder
		timeout time.Duration
		wantErr string
		is      error
	}{
		{"failed", stuckBuilder{fail: true}, time.Minute, "mirror on fire", nil},
		{"cancelled", stuckBuilder{}, 50 * time.Millisecond, "stuck", context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			_, err := Build(ctx, NewRegistry(tt.b), Recipe{Name: "x", Backend: "stuck"}, Config{WorkRoot: work})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("Build = %v, want an error with %q", err, tt.wantErr)
			}
			if left, _ := os.ReadDir(work); len(left) > 0 {
				t.Errorf("work root still holds %s", left[0].Name())
			}
		})
	}
}

func TestBuildUnknownBackend(t *testing.T) {
	_, err := Build(context.Background(), NewRegistry(stuckBuilder{}), Recipe{Name: "x", Backend: "packer"}, Config{WorkRoot: t.TempDir()})
	if !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), `"packer"`) || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("Build = %v, want ErrUnknownBackend naming packer and the known backends", err)
	}
}

func TestOnlyFields(t *testing.T) {
	r := Recipe{Name: "x", Backend: "oci", Reference: "r", Suite: "bookworm"}
	if err := OnlyFields(r, "reference"); err == nil || !strings.Contains(err.Error(), "suite is for the debootstrap backend") {
		t.Errorf("OnlyFields = %v", err)
	}
}
