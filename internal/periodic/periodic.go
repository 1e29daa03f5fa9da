// Package periodic runs a background pass at once and then at a fixed
// interval until its context ends: the loop of the server's sweepers.
package periodic

import (
	"context"
	"log/slog"
	"time"
)

// Run calls pass now and every interval until ctx ends; a failed pass is
// logged with what and the next one runs as usual. An interval <= 0 runs
// nothing.
func Run(ctx context.Context, interval time.Duration, log *slog.Logger, what string, pass func(context.Context) error) error {
	if interval <= 0 {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := pass(ctx); err != nil && ctx.Err() == nil {
			log.Error(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
