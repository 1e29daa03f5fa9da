package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/stream"
	"ingot.dev/ingot/server/chunkstore"
)

// newImageCommand groups the image commands: import, export, write, serve.
func newImageCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Import, export, write and serve chunked, signed images",
	}
	cmd.AddCommand(newImageImportCommand(app), newImageExportCommand(app),
		newImageWriteCommand(app), newImageServeCommand(app))
	cmd.AddCommand(imageCatalogCommands(app)...)
	cmd.AddCommand(newBuildCommand(app), newImageGCCommand(app))
	return cmd
}

// imageDir is a local data directory: chunks/, manifests/ and signing.key.
type imageDir string

func (d imageDir) open() (*chunkstore.Service, error) {
	store, err := chunkstore.NewLocal(filepath.Join(string(d), "chunks"))
	if err != nil {
		return nil, err
	}
	mans, err := chunkstore.NewManifests(filepath.Join(string(d), "manifests"))
	if err != nil {
		return nil, err
	}
	key, err := manifest.LoadOrCreateSigningKey(filepath.Join(string(d), "signing.key"))
	if err != nil {
		return nil, err
	}
	return &chunkstore.Service{Store: store, Manifests: mans, Key: key}, nil
}

// imageSource resolves SOURCE (a server URL or a local image directory), the
// image ID and the public key its manifest must verify against.
func imageSource(ctx context.Context, app *App, source, id, pubFile string) (stream.Source, string, ed25519.PublicKey, error) {
	var src stream.Source
	var pub ed25519.PublicKey
	var err error
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		h := &stream.HTTP{Base: source, Token: app.Token}
		src = h
		if pubFile == "" {
			fmt.Fprintln(app.Err, "warning: no --pubkey given; trusting the signing key the server presents")
			pub, err = fetchServerKey(ctx, h)
		}
	} else {
		src = stream.Dir(source)
		if id == "" {
			id, err = onlyImage(source)
		}
		if err == nil && pubFile == "" {
			svc, oerr := imageDir(source).open()
			if err = oerr; err == nil {
				pub = svc.Key.Public().(ed25519.PublicKey)
			}
		}
	}
	if err == nil && pubFile != "" {
		pub, err = readPublicKey(pubFile)
	}
	if err == nil && id == "" {
		err = errors.New("which image? pass --image sha256:<hex>")
	}
	return src, id, pub, err
}

func readPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	return manifest.ParsePublicKey(data)
}

func onlyImage(dir string) (string, error) {
	mans, err := chunkstore.NewManifests(filepath.Join(dir, "manifests"))
	if err != nil {
		return "", err
	}
	ids, err := mans.IDs()
	if err != nil {
		return "", err
	}
	if len(ids) != 1 {
		return "", fmt.Errorf("%s holds %d images: pass --image sha256:<hex>", dir, len(ids))
	}
	return ids[0], nil
}
