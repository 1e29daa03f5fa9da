package redfish

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// request is one Redfish call. Idempotent calls (GET, PATCH of absolute
// values, DELETE) are retried on timeouts, 5xx, malformed JSON and
// connection errors; other calls (actions, session login) only when the
// BMC cannot have acted on them: the connection was refused, or the BMC
// answered 503 or 429.
type request struct {
	op         string // the caller's operation, for errors
	method     string
	path       string
	body       any
	header     map[string]string
	idempotent bool
	noAuth     bool // the login itself
}

type response struct {
	status int
	header http.Header
	body   []byte
}

const maxBody = 16 << 20

func (c *Client) do(ctx context.Context, r request) (*response, error) {
	relogged := false
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, r)
		if err == nil {
			return resp, nil
		}
		if Status(err) == http.StatusUnauthorized && !r.noAuth && !relogged && c.hasSession() {
			// The session expired or the BMC rebooted: log in again, once.
			relogged = true
			c.log.Debug("session refused; logging in again", "call", r.op)
			if lerr := c.login(ctx); lerr != nil {
				return nil, lerr
			}
			continue
		}
		if attempt >= c.cfg.Retry.Attempts || ctx.Err() != nil || !retryable(r, err) {
			return nil, c.wrap(r, attempt, err)
		}
		wait := c.backoff(attempt)
		c.log.Debug("retrying BMC call", "call", r.op, "method", r.method, "path", r.path,
			"attempt", attempt, "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil, c.wrap(r, attempt, err)
		case <-time.After(wait):
		}
	}
}

func (c *Client) wrap(r request, attempts int, err error) error {
	return &Error{BMC: c.bmc, Call: r.op, Method: r.method, Path: r.path, Status: Status(err), Attempts: attempts, Err: err}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.Retry.Backoff << (attempt - 1)
	if d > c.cfg.Retry.MaxBackoff || d <= 0 {
		d = c.cfg.Retry.MaxBackoff
	}
	return d/2 + rand.N(d/2+1) // jitter keeps a rack of hosts from retrying in step
}

func (c *Client) once(ctx context.Context, r request) (*response, error) {
	c.calls.Add(1)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("encoding request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base.String()+r.path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OData-Version", "4.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if !r.noAuth {
		c.authorize(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, classify(err)
	}
	if resp.StatusCode >= 300 {
		return nil, &statusError{status: resp.StatusCode, message: bmcMessage(data)}
	}
	if (r.method == http.MethodGet || len(bytes.TrimSpace(data)) > 0) && !json.Valid(data) {
		return nil, fmt.Errorf("%w (%d bytes)", ErrMalformed, len(data))
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func (c *Client) authorize(req *http.Request) {
	c.mu.Lock()
	token, basic := c.token, c.basic
	c.mu.Unlock()
	switch {
	case token != "":
		req.Header.Set("X-Auth-Token", token)
	case basic:
		req.SetBasicAuth(c.cfg.Username, string(c.cfg.Password))
	}
}

func (c *Client) hasSession() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token != ""
}

// classify maps transport errors onto the sentinels, keeping the cause.
func classify(err error) error {
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		verify     *tls.CertificateVerificationError
		recordHdr  tls.RecordHeaderError
		netErr     net.Error
		urlErr     *url.Error
		cause      = err
		isTimeout  = errors.Is(err, context.DeadlineExceeded)
		isTLSError = errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
			errors.As(err, &invalid) || errors.As(err, &verify) || errors.As(err, &recordHdr)
	)
	if errors.As(err, &urlErr) {
		cause = urlErr.Err // the URL is in the Error's path already
	}
	if errors.As(err, &netErr) && netErr.Timeout() {
		isTimeout = true
	}
	switch {
	case isTLSError:
		return fmt.Errorf("%w: %w", ErrTLS, cause)
	case isTimeout:
		return fmt.Errorf("%w: %w", ErrTimeout, cause)
	}
	return cause
}

func retryable(r request, err error) bool {
	if errors.Is(err, ErrTLS) || errors.Is(err, context.Canceled) {
		return false
	}
	if s := Status(err); s != 0 {
		switch {
		case s == http.StatusServiceUnavailable || s == http.StatusTooManyRequests:
			return true
		case s >= 500:
			return r.idempotent
		}
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true // nothing reached the BMC
	}
	return r.idempotent // timeouts, resets, malformed bodies
}

// maxMessage bounds the BMC's message in an error.
const maxMessage = 300

// bmcMessage pulls the human message out of a Redfish error body: the
// error's message and its @Message.ExtendedInfo messages, on one line,
// without control characters (it goes into errors, logs and terminals),
// at most maxMessage bytes and never cut inside a character.
func bmcMessage(body []byte) string {
	var e struct {
		Error struct {
			Message  string `json:"message"`
			Extended []struct {
				Message string
			} `json:"@Message.ExtendedInfo"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := e.Error.Message
	for _, x := range e.Error.Extended {
		if x.Message != "" && x.Message != msg {
			msg += "; " + x.Message
		}
	}
	return clip(printable(strings.TrimSpace(msg)), maxMessage)
}

// printable replaces control characters with spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// clip cuts s to at most n bytes on a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// pathOf turns an absolute URL or a path into a path on this BMC.
func pathOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.IsAbs() {
		return u.EscapedPath()
	}
	return s
}
