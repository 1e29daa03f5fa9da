// Package report is the installer's HTTP client for the Ingot server: JSON
// requests with a bearer token that retry with backoff on network errors and
// 5xx answers, and deployment signals (progress, done, failed).
package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Client talks to one Ingot server.
type Client struct {
	Base    string       // e.g. http://10.0.0.1:7480
	Token   string       // bearer token; empty sends none
	HTTP    *http.Client // default: 30 s timeout
	Log     *slog.Logger // default discards
	Retries int          // attempts after the first; default 8
	Backoff time.Duration
	// MAC, when set, is sent as X-Ingot-MAC: the NIC the installer booted
	// from, which the server checks against the host its token is bound to.
	MAC string
}

// StatusError is a non-retryable answer (4xx) from the server.
type StatusError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), e.Body)
}

// Do sends in (JSON, or no body when nil) and decodes the answer into out
// (when not nil). Network errors, 429 and 5xx are retried with backoff.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding %s body: %w", path, err)
		}
		body = b
	}
	retries, backoff := c.Retries, c.Backoff
	if retries == 0 {
		retries = 8
	}
	if backoff == 0 {
		backoff = 500 * time.Millisecond
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = c.once(ctx, method, path, body, out)
		var se *StatusError
		if err == nil || errors.As(err, &se) || ctx.Err() != nil || attempt >= retries {
			return err
		}
		c.log().Warn("request failed, retrying", "method", method, "path", path, "attempt", attempt+1, "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (c *Client) once(ctx context.Context, method, path string, body []byte, out any) error {
	url := strings.TrimRight(c.Base, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.MAC != "" {
		req.Header.Set("X-Ingot-MAC", c.MAC)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading answer: %w", method, url, err)
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(string(b)))
	}
	if resp.StatusCode >= 300 {
		return &StatusError{Method: method, URL: url, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decoding answer: %w", method, url, err)
	}
	return nil
}

// Signal posts a named signal with data to deployment id.
func (c *Client) Signal(ctx context.Context, id, name string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encoding signal %s: %w", name, err)
	}
	sig := struct {
		Name string          `json:"name"`
		Data json.RawMessage `json:"data,omitempty"`
	}{name, raw}
	return c.Do(ctx, http.MethodPost, "/v1/deployments/"+id+"/signals", sig, nil)
}

func (c *Client) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}
