package redfish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

const serviceRoot = "/redfish/v1/"

// login opens a session, or settles on basic auth.
func (c *Client) login(ctx context.Context) error {
	c.mu.Lock()
	basic := c.basic || c.quirks.NoSessions
	c.mu.Unlock()
	if basic {
		c.mu.Lock()
		c.basic = true
		c.mu.Unlock()
		return nil
	}
	sessions, err := c.sessionsPath(ctx)
	if err != nil {
		return err
	}
	if sessions == "" {
		c.useBasic("service root has no Links.Sessions")
		return nil
	}
	body := map[string]string{"UserName": c.cfg.Username, "Password": string(c.cfg.Password)}
	resp, err := c.do(ctx, request{op: "log in", method: http.MethodPost, path: sessions, body: body, noAuth: true})
	switch s := Status(err); {
	case s == http.StatusNotFound || s == http.StatusMethodNotAllowed || s == http.StatusNotImplemented:
		c.useBasic(fmt.Sprintf("session login answered HTTP %d", s))
		return nil
	case err != nil:
		return err
	}
	token := resp.header.Get("X-Auth-Token")
	if token == "" {
		return c.errorf("log in", "BMC opened a session but sent no X-Auth-Token")
	}
	c.mu.Lock()
	c.token, c.sessionPath = token, pathOf(resp.header.Get("Location"))
	c.mu.Unlock()
	return nil
}

func (c *Client) useBasic(why string) {
	c.learn("no SessionService, basic auth: "+why, func(q *Quirks) { q.NoSessions = true })
	c.mu.Lock()
	c.basic = true
	c.mu.Unlock()
}

// sessionsPath reads the service root (which needs no auth) for the
// sessions collection.
func (c *Client) sessionsPath(ctx context.Context) (string, error) {
	resp, err := c.do(ctx, request{op: "read service root", method: http.MethodGet, path: serviceRoot, idempotent: true, noAuth: true})
	if err != nil {
		return "", err
	}
	var root struct {
		Links struct {
			Sessions struct {
				ID string `json:"@odata.id"`
			}
		}
		SessionService *struct {
			ID string `json:"@odata.id"`
		}
	}
	if err := json.Unmarshal(resp.body, &root); err != nil {
		return "", c.errorf("read service root", "%w: %w", ErrMalformed, err)
	}
	if root.Links.Sessions.ID != "" {
		return pathOf(root.Links.Sessions.ID), nil
	}
	if root.SessionService != nil {
		return "/redfish/v1/SessionService/Sessions", nil
	}
	return "", nil
}

// fail makes sure an error out of gofish names the BMC and the call.
func (c *Client) fail(call string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*Error](err); ok {
		return err
	}
	return &Error{BMC: c.bmc, Call: call, Attempts: 1, Err: err}
}
