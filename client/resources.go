package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"ingot.dev/ingot/api"
)

// Resource is a typed CRUD endpoint of the API, e.g. Hosts.
type Resource[T any] struct {
	c    *Client
	path string // e.g. /v1/hosts
}

// Images, ImageSets, Hostgroups, Hosts, Tokens and Credentials are the
// resources of the API.
func (c *Client) Images() Resource[api.Image] { return Resource[api.Image]{c, "/v1/images"} }
func (c *Client) ImageSets() Resource[api.ImageSet] {
	return Resource[api.ImageSet]{c, "/v1/imagesets"}
}
func (c *Client) Hostgroups() Resource[api.Hostgroup] {
	return Resource[api.Hostgroup]{c, "/v1/hostgroups"}
}
func (c *Client) Hosts() Resource[api.Host]   { return Resource[api.Host]{c, "/v1/hosts"} }
func (c *Client) Tokens() Resource[api.Token] { return Resource[api.Token]{c, "/v1/tokens"} }
func (c *Client) Credentials() Resource[api.Credential] {
	return Resource[api.Credential]{c, "/v1/credentials"}
}
func (c *Client) Deployments() Resource[api.Deployment] {
	return Resource[api.Deployment]{c, "/v1/deployments"}
}

// Create posts v.
func (r Resource[T]) Create(ctx context.Context, v T) (T, error) {
	var out T
	err := r.c.Do(ctx, http.MethodPost, r.path, nil, v, &out)
	return out, err
}

// Get fetches the object with this key.
func (r Resource[T]) Get(ctx context.Context, key string) (T, error) {
	var out T
	err := r.c.Do(ctx, http.MethodGet, r.path+"/"+url.PathEscape(key), nil, nil, &out)
	return out, err
}

// Put replaces the object with this key.
func (r Resource[T]) Put(ctx context.Context, key string, v T) (T, error) {
	var out T
	err := r.c.Do(ctx, http.MethodPut, r.path+"/"+url.PathEscape(key), nil, v, &out)
	return out, err
}

// Delete removes the object with this key.
func (r Resource[T]) Delete(ctx context.Context, key string) error {
	return r.c.Do(ctx, http.MethodDelete, r.path+"/"+url.PathEscape(key), nil, nil, nil)
}

// List fetches one page; filter holds extra query parameters.
func (r Resource[T]) List(ctx context.Context, limit int, cursor string, filter url.Values) (api.Page[T], error) {
	q := url.Values{}
	for k, v := range filter {
		q[k] = v
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out api.Page[T]
	err := r.c.Do(ctx, http.MethodGet, r.path, q, nil, &out)
	return out, err
}

// All walks every page.
func (r Resource[T]) All(ctx context.Context, filter url.Values) ([]T, error) {
	var all []T
	cursor := ""
	for {
		p, err := r.List(ctx, 1000, cursor, filter)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, nil
		}
		cursor = p.NextCursor
	}
}
