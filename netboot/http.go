package netboot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"ingot.dev/ingot/netboot/boot"
)

// httpServer opens HTTPListen and returns the function that serves /boot/
// on it until its context ends.
func httpServer(c Config, r boot.Resolver, log *slog.Logger) (func(context.Context) error, error) {
	h, err := Handler(c, r, log)
	if err != nil {
		return nil, fmt.Errorf("netboot: %w", err)
	}
	ln, err := net.Listen("tcp", c.HTTPListen.String())
	if err != nil {
		return nil, fmt.Errorf("netboot: HTTPListen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/boot/", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("netboot: http: %w", err)
		}
		return nil
	}, nil
}
