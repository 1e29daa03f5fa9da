package client

import (
	"context"
	"net/http"
	"net/url"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/manifest"
)

// RegisterImage registers an image whose chunks are uploaded: the server
// checks them, signs the manifest and adds the image to the catalog.
func (c *Client) RegisterImage(ctx context.Context, m manifest.Manifest) (api.Image, error) {
	var img api.Image
	err := c.Do(ctx, http.MethodPost, "/v1/images", nil, map[string]any{"manifest": m}, &img)
	return img, err
}

// ZeroManifest is the unsigned manifest of an all-zero disk of size bytes:
// a valid image that needs no chunk uploaded (tests, benchmarks, demos).
func ZeroManifest(name string, arch api.Arch, fw api.Firmware, size int64) manifest.Manifest {
	return manifest.Manifest{Version: manifest.Version, Name: name, Arch: string(arch), Firmware: string(fw),
		Payloads: []manifest.Payload{{Role: "disk", Kind: manifest.KindRawDisk, Size: size, ChunkSize: manifest.DefaultChunkSize}}}
}

// CheckImageSet checks every variant's image of the set now and returns
// the set with the recorded outcome.
func (c *Client) CheckImageSet(ctx context.Context, name string) (api.ImageSet, error) {
	var out api.ImageSet
	err := c.Do(ctx, http.MethodPost, "/v1/imagesets/"+url.PathEscape(name)+"/check", nil, nil, &out)
	return out, err
}

// MaterializeHostImage makes the host's transient image on the server;
// deployment, when set, removes it once that deployment succeeds.
func (c *Client) MaterializeHostImage(ctx context.Context, host string, deployment api.DeploymentID) (api.HostImage, error) {
	var out api.HostImage
	err := c.Do(ctx, http.MethodPost, "/v1/hosts/"+url.PathEscape(host)+"/image", nil, map[string]any{"deployment": deployment}, &out)
	return out, err
}
