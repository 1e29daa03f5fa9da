package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/server/store"
)

// BMCs talks to BMCs with stored credentials and quirks (the server's
// Redfish connector).
type BMCs interface {
	// Probe learns the host's BMC quirks from scratch and stores them.
	Probe(ctx context.Context, h api.Host, req api.BMCProbeRequest) (api.BMCProbe, error)
	// Inventory reads what the BMC tells about its machine.
	Inventory(ctx context.Context, bmc api.BMC) (redfish.Inventory, error)
}

// BMCError is a failed call to a BMC. The API answers it with 502 and the
// message, which names the BMC and the call.
type BMCError struct{ Err error }

func (e *BMCError) Error() string { return e.Err.Error() }
func (e *BMCError) Unwrap() error { return e.Err }

type probeInput struct {
	Name string `path:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	Body api.BMCProbeRequest
}

func (a *API) registerBMC() {
	huma.Register(a.huma, huma.Operation{OperationID: "probe-host-bmc", Method: http.MethodPost, Path: "/v1/hosts/{name}/bmc/probe", Tags: []string{"bmc"},
		Summary: "Learn the quirks of the host's BMC and store them for every later Redfish call"},
		func(ctx context.Context, in *probeInput) (*bodyOutput[api.BMCProbe], error) {
			h, err := a.bmcHost(ctx, in.Name)
			if err != nil {
				return nil, err
			}
			if err := require(ctx, manageScope(h.Hostgroup)); err != nil {
				return nil, err
			}
			p, err := a.BMC.Probe(ctx, h, in.Body)
			return &bodyOutput[api.BMCProbe]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-host-bmc-quirks", Method: http.MethodGet, Path: "/v1/hosts/{name}/bmc/quirks", Tags: []string{"bmc"},
		Summary: "The stored quirks of the host's BMC"},
		func(ctx context.Context, in *nameInput) (*bodyOutput[api.BMCQuirks], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			h, err := a.bmcHost(ctx, in.Name)
			if err != nil {
				return nil, err
			}
			q, err := a.Store.GetBMCQuirks(ctx, h.BMC.Endpoint)
			if errors.Is(err, store.ErrNotFound) {
				return nil, huma.Error404NotFound(fmt.Sprintf("nothing is known yet about BMC %s of host %s: run ingot bmc probe %s", h.BMC.Endpoint, h.Name, h.Name))
			}
			return &bodyOutput[api.BMCQuirks]{q}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "list-bmc-quirks", Method: http.MethodGet, Path: "/v1/bmc/quirks", Tags: []string{"bmc"},
		Summary: "What is known about every BMC, by endpoint"},
		func(ctx context.Context, in *ListInput) (*pageOutput[api.BMCQuirks], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			p, err := a.Store.ListBMCQuirks(ctx, in.options())
			return &pageOutput[api.BMCQuirks]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "import-hosts", Method: http.MethodPost, Path: "/v1/hosts/import", Tags: []string{"hosts", "bmc"},
		Summary: "Register hosts from their BMCs' Redfish inventory; existing hosts are updated, not duplicated"},
		a.importHosts)
}

// bmcHost reads a host that has a BMC, for the BMC routes.
func (a *API) bmcHost(ctx context.Context, name string) (api.Host, error) {
	h, err := a.Store.GetHost(ctx, name)
	if err != nil {
		return h, a.problem(ctx, err)
	}
	if h.BMC == nil || h.BMC.Endpoint == "" {
		return h, invalid("host "+name+" has no BMC", &huma.ErrorDetail{Location: "path.name",
			Message: "set the host's bmc endpoint and credential first (ingot host update -f FILE)", Value: name})
	}
	if a.BMC == nil {
		return h, huma.Error501NotImplemented("this server was started without Redfish support")
	}
	return h, nil
}
