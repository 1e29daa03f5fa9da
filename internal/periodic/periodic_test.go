package periodic

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

func TestRunPassesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	passes := 0
	err := Run(ctx, time.Millisecond, slog.New(slog.DiscardHandler), "test", func(context.Context) error {
		if passes++; passes == 3 {
			cancel()
		}
		return errors.New("a failed pass does not stop the loop")
	})
	if err != nil || passes != 3 {
		t.Fatalf("Run = %v after %d passes, want nil after 3", err, passes)
	}
}

func TestRunNeverWithoutInterval(t *testing.T) {
	called := false
	if err := Run(context.Background(), 0, slog.New(slog.DiscardHandler), "test", func(context.Context) error { called = true; return nil }); err != nil || called {
		t.Fatalf("Run with interval 0: %v, called %t", err, called)
	}
}
