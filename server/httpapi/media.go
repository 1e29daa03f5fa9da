package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/hostmedia"
)

// Media mints one-time URLs of per-host installer ISOs.
type Media interface {
	MintForHost(ctx context.Context, host string) (api.MediaTicket, error)
}

var _ Media = (*hostmedia.Service)(nil)

// registerMedia: POST /v1/hosts/{name}/media. The ISO carries the host's
// installer token, so it takes the scope that deploys the host.
func (a *API) registerMedia() {
	huma.Register(a.huma, huma.Operation{OperationID: "mint-host-media", Method: http.MethodPost, Path: "/v1/hosts/{name}/media", Tags: []string{"hosts"},
		DefaultStatus: http.StatusCreated,
		Summary:       "Mint a one-time URL of the installer ISO of the host's running deployment",
		Description: "The ISO boots the installer straight into the host's deployment (its installer token and static network " +
			"are on the kernel command line). The URL is bound to the first client address that uses it, and ends when it " +
			"expires or the deployment no longer waits for its installer."},
		func(ctx context.Context, in *nameInput) (*bodyOutput[api.MediaTicket], error) {
			h, err := a.Store.GetHost(ctx, in.Name)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			if err := require(ctx, "hostgroup:deploy:"+h.Hostgroup); err != nil {
				return nil, err
			}
			if a.Media == nil {
				return nil, huma.Error501NotImplemented("this server builds no per-host media")
			}
			t, err := a.Media.MintForHost(ctx, h.Name)
			if errors.Is(err, hostmedia.ErrNotWaiting) {
				return nil, huma.Error409Conflict(err.Error())
			}
			return &bodyOutput[api.MediaTicket]{t}, a.problem(ctx, err)
		})
}
