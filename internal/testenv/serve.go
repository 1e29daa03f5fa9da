package testenv

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Serve runs serve (a server's Serve(ctx) method) until the test ends, and
// checks that it returns, without error, once its context ends. The
// returned stop does that check early; it is safe to call more than once.
func Serve(t testing.TB, serve func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Serve did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
