package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"ingot.dev/ingot/api"
)

// HostMedia mints a one-time URL of the installer ISO of host's running
// deployment.
func (c *Client) HostMedia(ctx context.Context, host string) (api.MediaTicket, error) {
	var t api.MediaTicket
	err := c.Do(ctx, http.MethodPost, "/v1/hosts/"+url.PathEscape(host)+"/media", nil, nil, &t)
	return t, err
}

// Download fetches the path of a one-time URL from this client's server
// into w and returns the bytes written.
func (c *Client) Download(ctx context.Context, path string, w io.Writer) (int64, error) {
	resp, err := c.WithToken("").send(ctx, http.MethodGet, path, nil, nil, "application/octet-stream")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("download cut short: %d of %d bytes", n, resp.ContentLength)
	}
	return n, err
}
