package imagebuild

import (
	"context"
	"fmt"

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
	m := &manifest.Manifest{
		Version: manifest.Version, Name: a.Recipe.Name, Arch: a.Recipe.Arch, Firmware: string(a.Recipe.Firmware),
		OS: a.OS, Created: a.Epoch.UTC(), Cmdline: a.Cmdline, Bootloader: a.Bootloader,
	}
	for _, p := range a.Payloads {
		pl, err := chunkFile(ctx, p, sink, opts)
		if err != nil {
			return nil, fmt.Errorf("publishing %s payload %s: %w", a.Recipe.Name, p.Role, err)
		}
		m.Payloads = append(m.Payloads, pl)
	}
	return m, m.Validate()
}

func chunkFile(ctx context.Context, p PayloadFile, sink chunker.Sink, opts chunker.Options) (manifest.Payload, error) {
	rc, _, err := importer.Open(ctx, p.Path, "")
	if err != nil {
		return manifest.Payload{}, err
	}
	defer rc.Close()
	res, err := chunker.Chunk(ctx, rc, sink, opts)
	if err != nil {
		return manifest.Payload{}, err
	}
	chunkSize := opts.ChunkSize
	if chunkSize == 0 {
		chunkSize = manifest.DefaultChunkSize
	}
	return manifest.Payload{Role: p.Role, Kind: p.Kind, FSType: p.FSType, Size: res.Size, ChunkSize: chunkSize, Chunks: res.Chunks}, nil
}
