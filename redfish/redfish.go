// Package redfish controls machines through their BMCs over Redfish: power,
// a one-time boot override that is verified by reading it back, virtual
// media and inventory. Per-BMC quirks (learned by redfish/quirks, stored by
// the server) shape every call, and the client keeps learning them.
//
// It is the only Ingot package that imports gofish, and gofish types do not
// leave it. It imports no other Ingot package.
package redfish

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says how to reach and log in to one BMC.
type Config struct {
	// Endpoint is the BMC's base URL: "https://10.0.0.5" or
	// "https://bmc7:8443". A bare host or host:port means https.
	Endpoint string
	Username string
	Password Secret
	// CAFile is a PEM bundle that signs the BMC's certificate. Empty means
	// the system roots.
	CAFile string
	// InsecureSkipVerify accepts any certificate. Labs only; never a default.
	InsecureSkipVerify bool
	// BasicAuth sends HTTP basic auth on every call instead of opening a
	// session. Without it the client still falls back to basic auth when the
	// BMC has no SessionService.
	BasicAuth bool
	// Timeout bounds one HTTP request (default 20s).
	Timeout time.Duration
	// Retry governs repeats of calls that are safe to repeat.
	Retry Retry
	// GracefulTimeout is how long PowerOff and PowerCycle wait for a
	// graceful shutdown before forcing it (default 2m).
	GracefulTimeout time.Duration
	// PollInterval is the pause between power state reads (default 2s).
	PollInterval time.Duration
	// Quirks learned earlier for this BMC (see redfish/quirks). The zero
	// value means "assume a standard BMC and learn on the way".
	Quirks Quirks
	// Logger receives debug lines about retries and learned quirks. It never
	// sees credentials. Nil discards.
	Logger *slog.Logger
}

// Retry is the retry policy for calls that are safe to repeat.
type Retry struct {
	// Attempts is the total number of tries (default 4; 1 disables retries).
	Attempts int
	// Backoff is the first pause; it doubles up to MaxBackoff (defaults
	// 500ms and 8s).
	Backoff, MaxBackoff time.Duration
}

func (c *Config) setDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = 20 * time.Second
	}
	if c.Retry.Attempts <= 0 {
		c.Retry.Attempts = 4
	}
	if c.Retry.Backoff <= 0 {
		c.Retry.Backoff = 500 * time.Millisecond
	}
	if c.Retry.MaxBackoff <= 0 {
		c.Retry.MaxBackoff = 8 * time.Second
	}
	if c.GracefulTimeout <= 0 {
		c.GracefulTimeout = 2 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.Endpoint == "" {
		return errors.New("redfish: no BMC endpoint")
	}
	if _, err := baseURL(c.Endpoint); err != nil {
		return err
	}
	if c.Username == "" {
		return fmt.Errorf("redfish: bmc %s: no username", c.Endpoint)
	}
	return nil
}

func baseURL(endpoint string) (*url.URL, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("redfish: bad BMC endpoint %q: want https://HOST[:PORT]", endpoint)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// Client talks to one BMC. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  *url.URL
	bmc   string // host:port, names the BMC in errors and logs
	http  *http.Client
	log   *slog.Logger
	calls atomic.Int64

	mu          sync.Mutex
	token       string // session token; empty with basic auth
	sessionPath string
	basic       bool
	quirks      Quirks
	// settingsPath is the system's advertised @Redfish.Settings object,
	// used once a plain PATCH turns out not to work.
	settingsPath string
}

// Connect reads the service root and logs in (a session, or basic auth
// when configured or when the BMC has no SessionService).
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	base, _ := baseURL(cfg.Endpoint)
	tlsConf, err := tlsConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("redfish: bmc %s: %w", base.Host, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	tr.Proxy = nil // BMC networks are not reached through proxies
	c := &Client{
		cfg:    cfg,
		base:   base,
		bmc:    base.Host,
		http:   &http.Client{Transport: tr, CheckRedirect: noRedirect},
		log:    cfg.Logger.With("bmc", base.Host),
		quirks: cfg.Quirks,
		basic:  cfg.BasicAuth,
	}
	if err := c.login(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func tlsConfig(cfg Config) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile == "" {
		return conf, nil
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", cfg.CAFile)
	}
	conf.RootCAs = pool
	return conf, nil
}

// BMC names the BMC (host:port) the way errors do.
func (c *Client) BMC() string { return c.bmc }

// Calls is the number of HTTP requests sent to the BMC so far, retries
// included.
func (c *Client) Calls() int64 { return c.calls.Load() }

// Quirks returns the quirks in use, including what this client learned
// since Connect. The server stores them per BMC.
func (c *Client) Quirks() Quirks {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.quirks.clone()
}

func (c *Client) learn(what string, f func(q *Quirks)) {
	c.mu.Lock()
	f(&c.quirks)
	c.mu.Unlock()
	c.log.Info("learned BMC quirk", "quirk", what)
}

// Close ends the session. The client must not be used afterwards.
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	path := c.sessionPath
	c.mu.Unlock()
	defer c.http.CloseIdleConnections()
	if path == "" {
		return nil
	}
	_, err := c.do(ctx, request{op: "log out", method: http.MethodDelete, path: path, idempotent: true})
	c.mu.Lock()
	c.token, c.sessionPath = "", ""
	c.mu.Unlock()
	return err
}
