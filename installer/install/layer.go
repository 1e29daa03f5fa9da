package install

import (
	"bytes"
	"context"
	"fmt"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/hostconfig"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/stream"
)

// maxLayer bounds a host image's config layer held in memory.
const maxLayer = 64 << 20

// configLayer fetches and verifies the config-tar payload of a host image
// (nil when the image has none), before any disk is touched.
func (c Config) configLayer(ctx context.Context, src stream.Source, m *manifest.Manifest) ([]byte, error) {
	for _, pl := range m.Payloads {
		if pl.Kind != manifest.KindConfigTar {
			continue
		}
		if pl.Size > maxLayer {
			return nil, fail("image", fmt.Errorf("image %s: config layer of %d bytes (at most %d)", m.Name, pl.Size, maxLayer), "a host image's config layer holds config files only; check the host's files")
		}
		var b bytes.Buffer
		if _, err := stream.CopyPayload(ctx, src, pl, &b, stream.Options{Logger: c.Log}); err != nil {
			return nil, fail("image", fmt.Errorf("config layer of image %s: %w", m.Name, err), "the host image's config layer cannot be fetched or does not verify; materialize the host image again")
		}
		return b.Bytes(), nil
	}
	return nil, nil
}

// writeHostConfig writes the host's config into the installed system at
// root: a host image's config layer first, then the plan's config (for a
// host image only the deployment's part: phone-home, password).
func (c Config) writeHostConfig(root string, cfg plan.HostConfig, con *console) error {
	o := hostconfig.Options{Deployment: c.Deployment, BootMAC: c.Inventory.BootMAC, Firstboot: c.Firstboot}
	if c.layer != nil {
		n, err := hostconfig.Unpack(root, bytes.NewReader(c.layer))
		if err != nil {
			return err
		}
		o.Layered = true
		con.phase("host image config layer applied: %d files", n)
	}
	return hostconfig.Write(root, cfg, o)
}
