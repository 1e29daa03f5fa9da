package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"ingot.dev/ingot/api"
)

// Deploy creates deployments (or plans them when req.DryRun).
func (c *Client) Deploy(ctx context.Context, req api.DeployRequest) (api.DeployResult, error) {
	var out api.DeployResult
	err := c.Do(ctx, http.MethodPost, "/v1/deployments", nil, req, &out)
	return out, err
}

// Cancel asks the engine to stop a deployment and compensate.
func (c *Client) Cancel(ctx context.Context, id api.DeploymentID) error {
	return c.Do(ctx, http.MethodPost, "/v1/deployments/"+url.PathEscape(string(id))+"/cancel", nil, nil, nil)
}

// Signal reports to a waiting deployment.
func (c *Client) Signal(ctx context.Context, id api.DeploymentID, s api.Signal) error {
	return c.Do(ctx, http.MethodPost, "/v1/deployments/"+url.PathEscape(string(id))+"/signals", nil, s, nil)
}

// Signals lists what the installer and the first boot reported.
func (c *Client) Signals(ctx context.Context, id api.DeploymentID) ([]api.Signal, error) {
	var out []api.Signal
	err := c.Do(ctx, http.MethodGet, "/v1/deployments/"+url.PathEscape(string(id))+"/signals", nil, nil, &out)
	return out, err
}

// Events lists a deployment's events after a seq.
func (c *Client) Events(ctx context.Context, id api.DeploymentID, after int64) ([]api.Event, error) {
	var out []api.Event
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	err := c.Do(ctx, http.MethodGet, "/v1/deployments/"+url.PathEscape(string(id))+"/events", q, nil, &out)
	return out, err
}

// Audit lists the audit log, newest first.
func (c *Client) Audit(ctx context.Context, limit int, cursor string) (api.Page[api.AuditEntry], error) {
	return Resource[api.AuditEntry]{c, "/v1/audit"}.List(ctx, limit, cursor, nil)
}

// Follow streams a deployment's events (server-sent events) after a seq and
// calls fn for each, until the deployment ends, fn fails or ctx ends.
func (c *Client) Follow(ctx context.Context, id api.DeploymentID, after int64, fn func(api.Event) error) error {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	resp, err := c.send(ctx, http.MethodGet, "/v1/deployments/"+url.PathEscape(string(id))+"/events/stream", q, nil, "text/event-stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var stop error // from fn or the stream's content: returned as it is
	err = readSSE(resp.Body, func(_, data string) error {
		var e api.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			stop = fmt.Errorf("decoding event: %w", err)
		} else if e.Type == "stream.error" {
			stop = fmt.Errorf("event stream of %s: %s", id, e.Message)
		} else {
			stop = fn(e)
		}
		return stop
	})
	if stop != nil {
		return stop
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("event stream of %s: %w", id, err)
	}
	return ctx.Err()
}

// StartRollout deploys a hostgroup in phases.
func (c *Client) StartRollout(ctx context.Context, r api.Rollout) (api.RolloutSummary, error) {
	var out api.RolloutSummary
	err := c.Do(ctx, http.MethodPost, "/v1/rollouts", nil, r, &out)
	return out, err
}

// Rollout reports where a rollout stands.
func (c *Client) Rollout(ctx context.Context, id api.RolloutID) (api.RolloutSummary, error) {
	var out api.RolloutSummary
	err := c.Do(ctx, http.MethodGet, "/v1/rollouts/"+url.PathEscape(string(id)), nil, nil, &out)
	return out, err
}

// RecoveryKeys reads a host's escrowed LUKS recovery passphrases (needs
// scope host:recovery:<host>; the server audit-logs the read).
func (c *Client) RecoveryKeys(ctx context.Context, host string) ([]api.RecoveryKey, error) {
	var out struct {
		Keys []api.RecoveryKey `json:"keys"`
	}
	err := c.Do(ctx, http.MethodGet, "/v1/hosts/"+url.PathEscape(host)+"/recovery-keys", nil, nil, &out)
	return out.Keys, err
}
