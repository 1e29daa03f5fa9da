package redfish

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/stmcginnis/gofish/schemas"
)

// conn lends the client to gofish for one operation: gofish decodes the
// schemas and runs actions, the client brings retries, auth, timeouts and
// errors that name the BMC and the call.
type conn struct {
	c   *Client
	ctx context.Context
	op  string
}

var _ schemas.Client = conn{}

func (c *Client) gofish(ctx context.Context, op string) conn { return conn{c: c, ctx: ctx, op: op} }

func (g conn) run(method, path string, body any, h map[string]string, idempotent bool) (*http.Response, error) {
	r, err := g.c.do(g.ctx, request{op: g.op, method: method, path: pathOf(path), body: body, header: h, idempotent: idempotent})
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: r.status, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body))}, nil
}

func (g conn) GetSettings() schemas.ClientSettings { return schemas.ClientSettings{} }
func (g conn) Get(path string) (*http.Response, error) {
	return g.run(http.MethodGet, path, nil, nil, true)
}
func (g conn) GetWithHeaders(path string, h map[string]string) (*http.Response, error) {
	return g.run(http.MethodGet, path, nil, h, true)
}
func (g conn) Post(path string, body any) (*http.Response, error) {
	return g.run(http.MethodPost, path, body, nil, false)
}
func (g conn) PostWithHeaders(path string, body any, h map[string]string) (*http.Response, error) {
	return g.run(http.MethodPost, path, body, h, false)
}
func (g conn) PostMultipart(string, map[string]io.Reader) (*http.Response, error) {
	return nil, errors.New("redfish: multipart uploads are not used")
}
func (g conn) PostMultipartWithHeaders(string, map[string]io.Reader, map[string]string) (*http.Response, error) {
	return nil, errors.New("redfish: multipart uploads are not used")
}
func (g conn) Patch(path string, body any) (*http.Response, error) {
	return g.run(http.MethodPatch, path, body, nil, true)
}
func (g conn) PatchWithHeaders(path string, body any, h map[string]string) (*http.Response, error) {
	return g.run(http.MethodPatch, path, body, h, true)
}
func (g conn) Put(path string, body any) (*http.Response, error) {
	return g.run(http.MethodPut, path, body, nil, true)
}
func (g conn) PutWithHeaders(path string, body any, h map[string]string) (*http.Response, error) {
	return g.run(http.MethodPut, path, body, h, true)
}
func (g conn) Delete(path string) (*http.Response, error) {
	return g.run(http.MethodDelete, path, nil, nil, true)
}
func (g conn) DeleteWithHeaders(path string, h map[string]string) (*http.Response, error) {
	return g.run(http.MethodDelete, path, nil, h, true)
}
