package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/debootstrap"
	"ingot.dev/ingot/imagebuild/mkosi"
	"ingot.dev/ingot/imagebuild/oci"
	"ingot.dev/ingot/imagebuild/rawimport"
	"ingot.dev/ingot/server/chunkstore"
)

type buildFlags struct {
	local, workDir, cacheDir string
	level                    int
	imageSet                 string
	secureBoot, follow       bool
}

// newBuildCommand is `ingot image build RECIPE`: on the server (a build
// job), or with --local DIR right here.
func newBuildCommand(app *App) *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build RECIPE",
		Short: "Build an image from a recipe (YAML or JSON): on the server as a job, or --local; chunk and sign it",
		Long: `Without --local the server builds the recipe as a job (ingot build list|get|log|cancel) and puts
the image in an image set variant (--image-set, default the recipe's name); the build's ID is printed,
or with --follow its log until it ends (the exit status is non-zero unless it succeeded).
With --local DIR the image is built here into a local data directory and its ID printed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.local == "" {
				return submitBuild(cmd.Context(), app, args[0], f)
			}
			id, err := runBuild(cmd.Context(), app, args[0], f)
			if err == nil {
				fmt.Fprintln(app.Out, id)
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.imageSet, "image-set", "", "server builds: the image set the image lands in (default: the recipe's name)")
	fl.BoolVar(&f.secureBoot, "secure-boot", false, "server builds: the image is the set's secure-boot variant")
	fl.BoolVar(&f.follow, "follow", false, "server builds: print the build's log live until it ends")
	fl.StringVar(&f.local, "local", "", "build into this local data directory (chunks/, manifests/, signing.key)")
	fl.StringVar(&f.workDir, "work-dir", "", "parent of the build's work directory (default: the system temp dir)")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "keep downloaded packages here between builds")
	fl.IntVar(&f.level, "level", 3, "zstd compression level (1-22)")
	return cmd
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH; zero time when unset.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// builders is the explicit registry of image build backends.
func builders(epoch time.Time, cacheDir string, log *slog.Logger) (*imagebuild.Registry, error) {
	db, err := debootstrap.New(debootstrap.Config{Epoch: epoch, CacheDir: cacheDir, Logger: log})
	if err != nil {
		return nil, err
	}
	return imagebuild.NewRegistry(
		db,
		mkosi.New(mkosi.Config{Epoch: epoch, Logger: log}),
		oci.New(oci.Config{Epoch: epoch, Logger: log}),
		rawimport.New(),
	), nil
}

func runBuild(ctx context.Context, app *App, path string, f buildFlags) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading recipe: %w", err)
	}
	r, err := imagebuild.Decode(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return "", err
	}
	for _, d := range []*string{&f.cacheDir, &f.workDir} {
		if *d != "" {
			if *d, err = filepath.Abs(*d); err != nil {
				return "", err
			}
		}
	}
	log := slog.New(slog.NewTextHandler(app.Err, nil))
	reg, err := builders(epoch, f.cacheDir, log)
	if err != nil {
		return "", err
	}
	svc, err := imageDir(f.local).open()
	if err != nil {
		return "", err
	}
	art, err := imagebuild.Build(ctx, reg, r, imagebuild.Config{WorkRoot: f.workDir, Epoch: epoch, Logger: log})
	if err != nil {
		return "", err
	}
	defer art.Remove()
	m, err := imagebuild.Publish(ctx, art, chunkstore.Sink{Store: svc.Store}, chunker.Options{Level: f.level})
	if err != nil {
		return "", err
	}
	_, id, err := svc.Finalize(ctx, *m)
	return id, err
}
