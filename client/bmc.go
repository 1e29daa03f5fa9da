package client

import (
	"context"
	"net/http"
	"net/url"

	"ingot.dev/ingot/api"
)

// ProbeBMC has the server learn the quirks of host's BMC and store them.
func (c *Client) ProbeBMC(ctx context.Context, host string, req api.BMCProbeRequest) (api.BMCProbe, error) {
	var out api.BMCProbe
	err := c.Do(ctx, http.MethodPost, "/v1/hosts/"+url.PathEscape(host)+"/bmc/probe", nil, req, &out)
	return out, err
}

// HostBMCQuirks returns the stored quirks of host's BMC.
func (c *Client) HostBMCQuirks(ctx context.Context, host string) (api.BMCQuirks, error) {
	var out api.BMCQuirks
	err := c.Do(ctx, http.MethodGet, "/v1/hosts/"+url.PathEscape(host)+"/bmc/quirks", nil, nil, &out)
	return out, err
}

// BMCQuirks lists what the server knows about every BMC.
func (c *Client) BMCQuirks() Resource[api.BMCQuirks] {
	return Resource[api.BMCQuirks]{c, "/v1/bmc/quirks"}
}

// ImportHosts registers hosts from their BMCs' Redfish inventory.
func (c *Client) ImportHosts(ctx context.Context, req api.HostImportRequest) (api.HostImportResponse, error) {
	var out api.HostImportResponse
	err := c.Do(ctx, http.MethodPost, "/v1/hosts/import", nil, req, &out)
	return out, err
}
