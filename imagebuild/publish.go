package imagebuild

import (
	"context"
	"fmt"
	"io"
	"os"

	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/importer"
	"ingot.dev/ingot/image/manifest"
)

// Publish cuts every payload of a into chunks handed to sink (the same
// chunker `ingot image import` uses) and returns the image's manifest,
// created at the build's epoch. Registering it (signing, storing, counting
// references) is the caller's: chunkstore.Service.Finalize locally, or the
// API. Payload files may be raw, compressed or qcow2 (image/importer).
func Publish(ctx context.Context, a *Artifacts, sink chunker.Sink, opts chunker.Options) (*manifest.Manifest, error) {
	return PublishProgress(ctx, a, sink, opts, nil)
}

// PublishProgress is Publish reporting progress: done of total bytes of
// payload files read. For compressed payload files the count is of
// uncompressed bytes, capped at each file's size: a rough measure only.
func PublishProgress(ctx context.Context, a *Artifacts, sink chunker.Sink, opts chunker.Options, progress func(done, total int64)) (*manifest.Manifest, error) {
	if progress == nil {
		progress = func(int64, int64) {}
	}
	sizes, total := payloadSizes(a.Payloads)
	var done int64
	m := &manifest.Manifest{
		Version: manifest.Version, Name: a.Recipe.Name, Arch: a.Recipe.Arch, Firmware: string(a.Recipe.Firmware),
		OS: a.OS, Created: a.Epoch.UTC(), Cmdline: a.Cmdline, Bootloader: a.Bootloader,
	}
	for i, p := range a.Payloads {
		count := &countingReader{report: func(n int64) { progress(done+min(n, sizes[i]), total) }}
		pl, err := chunkFile(ctx, p, sink, opts, count)
		if err != nil {
			return nil, fmt.Errorf("publishing %s payload %s: %w", a.Recipe.Name, p.Role, err)
		}
		done += sizes[i]
		progress(done, total)
		m.Payloads = append(m.Payloads, pl)
	}
	return m, m.Validate()
}

// payloadSizes stats the payload files; a file that cannot be statted
// counts 0 here and fails when it is read.
func payloadSizes(ps []PayloadFile) ([]int64, int64) {
	sizes := make([]int64, len(ps))
	var total int64
	for i, p := range ps {
		if fi, err := os.Stat(p.Path); err == nil {
			sizes[i] = fi.Size()
			total += sizes[i]
		}
	}
	return sizes, total
}

// countingReader reports how many bytes were read through it, at most
// once per MiB.
type countingReader struct {
	r          io.Reader
	n, lastRep int64
	report     func(n int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n-c.lastRep >= 1<<20 {
		c.lastRep = c.n
		c.report(c.n)
	}
	return n, err
}

func chunkFile(ctx context.Context, p PayloadFile, sink chunker.Sink, opts chunker.Options, count *countingReader) (manifest.Payload, error) {
	rc, _, err := importer.Open(ctx, p.Path, "")
	if err != nil {
		return manifest.Payload{}, err
	}
	defer rc.Close()
	count.r = rc
	res, err := chunker.Chunk(ctx, count, sink, opts)
	if err != nil {
		return manifest.Payload{}, err
	}
	chunkSize := opts.ChunkSize
	if chunkSize == 0 {
		chunkSize = manifest.DefaultChunkSize
	}
	return manifest.Payload{Role: p.Role, Kind: p.Kind, FSType: p.FSType, Size: res.Size, ChunkSize: chunkSize, Chunks: res.Chunks}, nil
}
