package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
)

func newImageServeCommand(app *App) *cobra.Command {
	var listen, files string
	var rate int64
	cmd := &cobra.Command{
		Use:    "serve DIR",
		Short:  "Serve a local data directory's chunks and manifests (no auth; labs and benchmarks)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageServe(cmd.Context(), app, args[0], listen, files, rate)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on")
	cmd.Flags().StringVar(&files, "files", "", "also serve this directory's files under /files/")
	cmd.Flags().Int64Var(&rate, "rate-limit", 0, "bytes per second per client IP (0: unlimited)")
	return cmd
}

func runImageServe(ctx context.Context, app *App, dir, listen, files string, rate int64) error {
	svc, err := imageDir(dir).open()
	if err != nil {
		return err
	}
	pub, err := manifest.MarshalPublicKey(svc.Key.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", chunkstore.NewHandler(svc.Store, svc.Manifests, chunkstore.HandlerOptions{RateLimit: rate, PublicKey: pub}))
	if files != "" {
		mux.Handle("/files/", http.StripPrefix("/files/", http.FileServer(http.Dir(files))))
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Out, "http://%s\n", l.Addr())
	srv := &http.Server{Handler: mux}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
