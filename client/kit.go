package client

import (
	"context"
	"net/http"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/kit"
)

// CreateKit creates a site kit's offline deployments and signed manifest.
func (c *Client) CreateKit(ctx context.Context, req api.KitRequest) (api.Kit, error) {
	var out api.Kit
	err := c.Do(ctx, http.MethodPost, "/v1/kits", nil, req, &out)
	return out, err
}

// ImportKitReport hands one signed report from a site kit to the server.
func (c *Client) ImportKitReport(ctx context.Context, e kit.Envelope) (api.KitImport, error) {
	var out api.KitImport
	err := c.Do(ctx, http.MethodPost, "/v1/kits/reports", nil, e, &out)
	return out, err
}
