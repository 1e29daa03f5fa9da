package vbmc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// download fetches an image URL into a new file in dir, as a BMC fetches
// virtual media, and returns the file's path. The URL (a one-time URL may
// carry a secret) is not logged or put in errors beyond its host.
func download(ctx context.Context, image, dir string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, image, nil)
	if err != nil {
		return "", fmt.Errorf("virtual media: bad image URL: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message holds the whole URL
	}
	if err != nil {
		return "", fmt.Errorf("virtual media: fetching the image from %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("virtual media: fetching the image from %s: HTTP %d", req.URL.Host, resp.StatusCode)
	}
	f, err := os.CreateTemp(dir, "vbmc-media-*.iso")
	if err != nil {
		return "", fmt.Errorf("virtual media: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("virtual media: fetching the image from %s: %w", req.URL.Host, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("virtual media: %w", err)
	}
	return f.Name(), nil
}
