package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/installer/stream"
	"ingot.dev/ingot/media"
)

type kitFlags struct {
	hosts      []string
	hostgroup  string
	keepTang   bool
	timeout    string
	reportArea int64
}

// runKitBuild has the server plan and sign the kit, fetches what it lists
// and writes the image.
func runKitBuild(ctx context.Context, app *App, f mediaBuildFlags) error {
	if f.out == "" {
		return fmt.Errorf("media build --site-kit: no output file: give -O FILE")
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	start := time.Now()
	k, err := app.client().CreateKit(ctx, api.KitRequest{Hosts: f.kit.hosts, Hostgroup: f.kit.hostgroup, KitKey: kit.FormatKey(pub), KeepTang: f.kit.keepTang, Timeout: f.kit.timeout})
	if err != nil {
		return fmt.Errorf("media build --site-kit: %w", err)
	}
	signing, err := kit.ParseKey(k.SigningKey)
	if err != nil {
		return err
	}
	m, err := kit.Verify(k.Manifest, k.Signature, signing)
	if err != nil {
		return fmt.Errorf("media build --site-kit: the server's kit does not verify: %w", err)
	}
	fill := func(dir string) error {
		files := map[string][]byte{kit.ManifestFile: k.Manifest, kit.SignatureFile: k.Signature, kit.KeyFile: priv.Seed()}
		for _, p := range k.Plans {
			files[p.Path] = p.Data
		}
		for p, b := range files {
			if err := writeKitFile(dir, p, b); err != nil {
				return err
			}
		}
		return fetchKitFiles(ctx, &stream.HTTP{Base: app.Server, Token: app.Token}, dir, m)
	}
	c := media.Config{InstallerDir: f.installer, Out: f.out, ExtraArgs: f.appendArgs}
	if err := media.BuildKit(ctx, c, media.Kit{ID: k.ID, SigningKey: k.SigningKey, Fill: fill, ReportArea: f.kit.reportArea}); err != nil {
		return err
	}
	fi, err := os.Stat(f.out)
	if err != nil {
		return err
	}
	names := make([]string, len(m.Hosts))
	for i, h := range m.Hosts {
		names[i] = h.Name + " (" + string(h.Deployment) + ")"
	}
	fmt.Fprintf(app.Out, "wrote site kit %s to %s (%.1f MiB, %d files) in %v\nhosts: %s\nkit signing key (ingot.kitkey, check it on the installer console): %s\n",
		k.ID, f.out, float64(fi.Size())/(1<<20), len(m.Files), time.Since(start).Round(time.Millisecond), strings.Join(names, ", "), k.SigningKey)
	return nil
}

func writeKitFile(dir, p string, b []byte) error {
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return os.WriteFile(full, b, 0o644)
}

// fetchKitFiles downloads the image manifests and chunks the kit manifest
// lists, four at a time, checking each against its sha256.
func fetchKitFiles(ctx context.Context, src *stream.HTTP, dir string, m *kit.Manifest) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Path, "chunks/") && !strings.HasPrefix(f.Path, "manifests/") {
			continue
		}
		g.Go(func() error { return fetchKitFile(ctx, src, dir, f) })
	}
	return g.Wait()
}

func fetchKitFile(ctx context.Context, src *stream.HTTP, dir string, f kit.File) error {
	var rc io.ReadCloser
	if hexID, ok := strings.CutPrefix(f.Path, "manifests/"); ok {
		b, err := src.Manifest(ctx, "sha256:"+hexID)
		if err != nil {
			return err
		}
		rc = io.NopCloser(strings.NewReader(string(b)))
	} else {
		h, err := manifest.ParseHash(filepath.Base(f.Path))
		if err != nil {
			return fmt.Errorf("kit file %s: %w", f.Path, err)
		}
		if rc, err = src.Chunk(ctx, h); err != nil {
			return err
		}
	}
	defer rc.Close()
	full := filepath.Join(dir, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	out, err := os.Create(full)
	if err != nil {
		return err
	}
	sum := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, sum), rc)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fetching kit file %s: %w", f.Path, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("fetching kit file %s: sha256 %s, the kit manifest says %s", f.Path, got, f.SHA256)
	}
	return nil
}
