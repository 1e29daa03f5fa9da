package stream

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"ingot.dev/ingot/image/manifest"
)

// FetchManifest fetches image id's signed manifest and returns it only if
// its digest is id, its signature verifies against pub and its version is known.
func FetchManifest(ctx context.Context, src Source, id string, pub ed25519.PublicKey) (*manifest.Manifest, error) {
	data, err := src.Manifest(ctx, id)
	if err != nil {
		return nil, err
	}
	if got := manifest.Digest(data); got != id {
		return nil, fmt.Errorf("manifest of %s has digest %s: refusing it", id, got)
	}
	m, err := manifest.Verify(data, pub)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", id, err)
	}
	return m, nil
}

// PickPayload returns the payload with role, or the only payload when role is empty.
func PickPayload(m *manifest.Manifest, role string) (manifest.Payload, error) {
	if role == "" && len(m.Payloads) == 1 {
		return m.Payloads[0], nil
	}
	for _, p := range m.Payloads {
		if p.Role == role {
			return p, nil
		}
	}
	return manifest.Payload{}, fmt.Errorf("image %q has no payload with role %q", m.Name, role)
}

// WriteImage verifies image id, then writes its payload with role (empty:
// the only one) to the file or block device at path. Nothing is opened or
// written before the manifest verifies.
func WriteImage(ctx context.Context, src Source, id string, pub ed25519.PublicKey, role, path string, opts Options) (Result, error) {
	m, err := FetchManifest(ctx, src, id, pub)
	if err != nil {
		return Result{}, err
	}
	p, err := PickPayload(m, role)
	if err != nil {
		return Result{}, err
	}
	t, err := OpenFile(path, p.Size)
	if err != nil {
		return Result{}, err
	}
	res, err := WritePayload(ctx, src, p, t, opts)
	if cerr := t.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing target %s: %w", path, cerr)
	}
	return res, err
}
