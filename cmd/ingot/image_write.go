package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/stream"
)

type writeFlags struct {
	image, pubkey, role  string
	delta, verify, quiet bool
	concurrency          int
}

func newImageWriteCommand(app *App) *cobra.Command {
	var f writeFlags
	cmd := &cobra.Command{
		Use:   "write SOURCE TARGET",
		Short: "Write a verified image onto a file or block device",
		Long: "SOURCE is a server URL (http://host:port, with --image) or a local data directory.\n" +
			"Every chunk is verified before it touches TARGET; zero chunks are not written.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageWrite(cmd.Context(), app, args[0], args[1], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.image, "image", "", "image ID sha256:<hex> (default: the only image of a local directory)")
	fl.StringVar(&f.pubkey, "pubkey", "", "PEM public key the manifest must be signed with")
	fl.StringVar(&f.role, "role", "", "payload to write (default: the only one)")
	fl.BoolVar(&f.delta, "delta", false, "read TARGET and write only the chunks that differ")
	fl.BoolVar(&f.verify, "verify", false, "read every written chunk back and check it")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	fl.IntVar(&f.concurrency, "concurrency", 8, "chunks in flight")
	return cmd
}

func runImageWrite(ctx context.Context, app *App, source, target string, f writeFlags) error {
	src, id, pub, err := imageSource(ctx, app, source, f.image, f.pubkey)
	if err != nil {
		return err
	}
	opts := stream.Options{Concurrency: f.concurrency, Delta: f.delta, Verify: f.verify}
	var bar *progressbar.ProgressBar
	if !f.quiet {
		opts.Progress = func(p stream.Progress) {
			if bar == nil {
				bar = progressbar.NewOptions64(p.TotalBytes, progressbar.OptionSetWriter(app.Err),
					progressbar.OptionShowBytes(true), progressbar.OptionSetDescription("writing"),
					progressbar.OptionThrottle(200*time.Millisecond))
			}
			bar.Set64(p.Bytes)
		}
	}
	start := time.Now()
	res, err := stream.WriteImage(ctx, src, id, pub, f.role, target, opts)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(app.Err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Out, "wrote %s to %s in %v: %d chunks fetched (%d bytes), %d written, %d skipped by delta, %d zero, direct=%v\n",
		id, target, time.Since(start).Round(time.Millisecond), res.ChunksFetched, res.BytesFetched,
		res.ChunksWritten, res.DeltaSkipped, res.ZeroChunks, res.Direct)
	return nil
}

func newImageExportCommand(app *App) *cobra.Command {
	var format, out, local, pubkey, role string
	cmd := &cobra.Command{
		Use:   "export ID",
		Short: "Export an image's payload as plain raw or .raw.zst, for dd",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			source := app.Server
			if local != "" {
				source = local
			}
			src, id, pub, err := imageSource(cmd.Context(), app, source, args[0], pubkey)
			if err != nil {
				return err
			}
			return runImageExport(cmd.Context(), app, src, id, pub, role, format, out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "raw", "raw or raw.zst")
	fl.StringVarP(&out, "output-file", "O", "-", "output file (- for stdout)")
	fl.StringVar(&local, "local", "", "export from this local data directory instead of the server")
	fl.StringVar(&pubkey, "pubkey", "", "PEM public key the manifest must be signed with")
	fl.StringVar(&role, "role", "", "payload to export (default: the only one)")
	return cmd
}

func runImageExport(ctx context.Context, app *App, src stream.Source, id string, pub ed25519.PublicKey, role, format, out string) error {
	if format != "raw" && format != "raw.zst" {
		return fmt.Errorf("format %q: want raw or raw.zst", format)
	}
	m, err := stream.FetchManifest(ctx, src, id, pub)
	if err != nil {
		return err
	}
	p, err := stream.PickPayload(m, role)
	if err != nil {
		return err
	}
	var w io.Writer = app.Out
	if out != "-" {
		file, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("exporting: %w", err)
		}
		defer file.Close()
		w = file
	}
	return exportTo(ctx, src, p, w, format)
}

func exportTo(ctx context.Context, src stream.Source, p manifest.Payload, w io.Writer, format string) error {
	if format == "raw" {
		_, err := stream.CopyPayload(ctx, src, p, w, stream.Options{})
		return err
	}
	enc, err := zstd.NewWriter(w)
	if err != nil {
		return err
	}
	if _, err := stream.CopyPayload(ctx, src, p, enc, stream.Options{}); err != nil {
		enc.Close()
		return err
	}
	return enc.Close()
}

func fetchServerKey(ctx context.Context, h *stream.HTTP) (ed25519.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.Base+"/v1/signing-key", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the server's signing key: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching the server's signing key: %s (pass --pubkey)", resp.Status)
	}
	return manifest.ParsePublicKey(data)
}
