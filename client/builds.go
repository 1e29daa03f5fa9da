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

// Builds is the image build jobs resource (list, get).
func (c *Client) Builds() Resource[api.Build] { return Resource[api.Build]{c, "/v1/builds"} }

// SubmitBuild queues an image build on the server.
func (c *Client) SubmitBuild(ctx context.Context, req api.BuildRequest) (api.Build, error) {
	var out api.Build
	err := c.Do(ctx, http.MethodPost, "/v1/builds", nil, req, &out)
	return out, err
}

// CancelBuild cancels a queued or running build.
func (c *Client) CancelBuild(ctx context.Context, id api.BuildID) (api.Build, error) {
	var out api.Build
	err := c.Do(ctx, http.MethodPost, "/v1/builds/"+url.PathEscape(string(id))+"/cancel", nil, nil, &out)
	return out, err
}

// BuildLog returns a build's log lines after a seq.
func (c *Client) BuildLog(ctx context.Context, id api.BuildID, after int64) ([]api.BuildLogLine, error) {
	var out []api.BuildLogLine
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {"1000"}}
	err := c.Do(ctx, http.MethodGet, "/v1/builds/"+url.PathEscape(string(id))+"/log", q, nil, &out)
	return out, err
}

// FollowBuild streams a build's log after a seq, calling fn for each line,
// until the build ends; it returns the build as it ended.
func (c *Client) FollowBuild(ctx context.Context, id api.BuildID, after int64, fn func(api.BuildLogLine) error) (api.Build, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	resp, err := c.send(ctx, http.MethodGet, "/v1/builds/"+url.PathEscape(string(id))+"/log/stream", q, nil, "text/event-stream")
	if err != nil {
		return api.Build{}, err
	}
	defer resp.Body.Close()
	var final *api.Build
	var stop error
	err = readSSE(resp.Body, func(event, data string) error {
		switch event {
		case "line":
			var l api.BuildLogLine
			if stop = json.Unmarshal([]byte(data), &l); stop == nil {
				stop = fn(l)
			}
		case "build":
			final = &api.Build{}
			stop = json.Unmarshal([]byte(data), final)
		case "error":
			var p api.Problem
			_ = json.Unmarshal([]byte(data), &p)
			stop = fmt.Errorf("log stream of build %s: %s", id, p.Detail)
		}
		return stop
	})
	switch {
	case stop != nil:
		return api.Build{}, stop
	case err != nil && ctx.Err() == nil:
		return api.Build{}, fmt.Errorf("log stream of build %s: %w", id, err)
	case final == nil && ctx.Err() != nil:
		return api.Build{}, ctx.Err()
	case final == nil:
		return api.Build{}, fmt.Errorf("log stream of build %s ended before the build did", id)
	}
	return *final, nil
}
