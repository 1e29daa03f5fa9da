package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"ingot.dev/ingot/image/manifest"
)

// HTTP is a Source talking to an Ingot server or any HTTP cache in front of
// it: GET {Base}/v1/chunks/{sha256} and GET {Base}/v1/images/{id}/manifest.
type HTTP struct {
	Base   string       // e.g. http://10.0.0.1:7480
	Token  string       // bearer token, optional
	Client *http.Client // default http.DefaultClient
	// Stall aborts a request that receives nothing for this long; default 30s.
	Stall time.Duration
}

var _ Source = (*HTTP)(nil)

// Manifest fetches the signed manifest of image id.
func (s *HTTP) Manifest(ctx context.Context, id string) ([]byte, error) {
	rc, err := s.get(ctx, "/v1/images/"+id+"/manifest")
	if err != nil {
		return nil, fmt.Errorf("fetching manifest %s: %w", id, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("fetching manifest %s: %w", id, err)
	}
	return data, nil
}

// Chunk opens chunk h; reads fail once nothing arrives for Stall.
func (s *HTTP) Chunk(ctx context.Context, h manifest.Hash) (io.ReadCloser, error) {
	return s.get(ctx, "/v1/chunks/"+h.String())
}

func (s *HTTP) get(ctx context.Context, path string) (io.ReadCloser, error) {
	stall := s.Stall
	if stall <= 0 {
		stall = 30 * time.Second
	}
	ctx, cancel := context.WithCancelCause(ctx)
	errStall := fmt.Errorf("no data for %v", stall)
	timer := time.AfterFunc(stall, func() { cancel(errStall) })
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.Base, "/")+path, nil)
	if err != nil {
		timer.Stop()
		cancel(nil)
		return nil, Permanent(err)
	}
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		timer.Stop()
		cancel(nil)
		if c := context.Cause(ctx); errors.Is(c, errStall) {
			err = c
		}
		return nil, err
	}
	if err := statusError(resp); err != nil {
		timer.Stop()
		resp.Body.Close()
		cancel(nil)
		return nil, err
	}
	return &watchdog{rc: resp.Body, timer: timer, stall: stall, cancel: cancel, ctx: ctx}, nil
}

func statusError(resp *http.Response) error {
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s: %w", resp.Request.URL, ErrNotFound)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("%s: server answered %s", resp.Request.URL, resp.Status)
	default:
		return Permanent(fmt.Errorf("%s: server answered %s", resp.Request.URL, resp.Status))
	}
}

// watchdog re-arms the stall timer on every read that makes progress.
type watchdog struct {
	rc     io.ReadCloser
	timer  *time.Timer
	stall  time.Duration
	cancel context.CancelCauseFunc
	ctx    context.Context
	once   sync.Once
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.rc.Read(p)
	if n > 0 {
		w.timer.Reset(w.stall)
	}
	if err != nil && err != io.EOF {
		if c := context.Cause(w.ctx); c != nil && !errors.Is(c, context.Canceled) {
			err = fmt.Errorf("%w (%v)", c, err)
		}
	}
	return n, err
}

func (w *watchdog) Close() error {
	w.once.Do(func() { w.timer.Stop(); w.cancel(nil) })
	return w.rc.Close()
}
