package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/importer"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
)

type importFlags struct {
	name, arch, firmware, role, kind, fsType, local, osID, osVersion string
	level                                                            int
}

func newImageImportCommand(app *App) *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Chunk, compress and upload a raw, .raw.zst, .raw.xz, .raw.gz or qcow2 image; print its ID",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := runImageImport(cmd.Context(), app, args[0], f)
			if err == nil {
				fmt.Fprintln(app.Out, id)
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "image name (default: the file name)")
	fl.StringVar(&f.arch, "arch", "amd64", "CPU architecture: amd64 or arm64")
	fl.StringVar(&f.firmware, "firmware", "uefi", "firmware: uefi or bios")
	fl.StringVar(&f.role, "role", "disk", "payload role")
	fl.StringVar(&f.kind, "kind", string(manifest.KindRawDisk), "payload kind: raw-disk or fs-image")
	fl.StringVar(&f.fsType, "fs-type", "", "filesystem type of an fs-image payload")
	fl.StringVar(&f.osID, "os-id", "", "os-release ID of the image's OS")
	fl.StringVar(&f.osVersion, "os-version", "", "os-release VERSION_ID of the image's OS")
	fl.IntVar(&f.level, "level", 3, "zstd compression level (1-22)")
	fl.StringVar(&f.local, "local", "", "import into this local data directory instead of the server")
	return cmd
}

func runImageImport(ctx context.Context, app *App, path string, f importFlags) (string, error) {
	rc, _, err := importer.Open(ctx, path, "")
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var sink chunker.Sink
	var svc *chunkstore.Service
	if f.local != "" {
		if svc, err = imageDir(f.local).open(); err != nil {
			return "", err
		}
		sink = chunkstore.Sink{Store: svc.Store}
	} else {
		sink = &httpSink{base: strings.TrimSuffix(app.Server, "/"), token: app.Token}
	}
	res, err := chunker.Chunk(ctx, rc, sink, chunker.Options{Level: f.level})
	if err != nil {
		return "", fmt.Errorf("importing %s: %w", path, err)
	}
	m, err := newManifest(path, f, res)
	if err != nil {
		return "", err
	}
	if svc != nil {
		_, id, err := svc.Finalize(ctx, *m)
		return id, err
	}
	return postImage(ctx, app, m)
}

func newManifest(path string, f importFlags, res *chunker.Result) (*manifest.Manifest, error) {
	created := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
		}
		created = time.Unix(sec, 0).UTC()
	}
	name := f.name
	if name == "" {
		name = strings.SplitN(filepath.Base(path), ".", 2)[0]
	}
	m := &manifest.Manifest{
		Version: manifest.Version, Name: name, Arch: f.arch, Firmware: f.firmware,
		OS: manifest.OS{ID: f.osID, Version: f.osVersion}, Created: created,
		Payloads: []manifest.Payload{{
			Role: f.role, Kind: manifest.Kind(f.kind), FSType: f.fsType,
			Size: res.Size, ChunkSize: manifest.DefaultChunkSize, Chunks: res.Chunks,
		}},
	}
	return m, m.Validate()
}

// httpSink uploads chunks the server does not have yet.
type httpSink struct {
	base, token string
}

func (s *httpSink) do(ctx context.Context, method string, h manifest.Hash, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+"/v1/chunks/"+h.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s chunk %s: %w", method, h, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func (s *httpSink) Has(ctx context.Context, h manifest.Hash) (bool, error) {
	resp, err := s.do(ctx, http.MethodHead, h, nil)
	if err != nil {
		return false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("HEAD chunk %s: server answered %s", h, resp.Status)
}

func (s *httpSink) Put(ctx context.Context, h manifest.Hash, b []byte) error {
	resp, err := s.do(ctx, http.MethodPut, h, b)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT chunk %s: server answered %s", h, resp.Status)
	}
	return nil
}

func postImage(ctx context.Context, app *App, m *manifest.Manifest) (string, error) {
	img, err := app.client().RegisterImage(ctx, *m)
	if err != nil {
		return "", fmt.Errorf("registering image %s: %w", m.Name, err)
	}
	return img.ID, nil
}
