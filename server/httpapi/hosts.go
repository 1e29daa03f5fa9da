package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
	"ingot.dev/ingot/server/template"
)

type hostListInput struct {
	ListInput
	Hostgroup string        `query:"hostgroup" maxLength:"63"`
	State     api.HostState `query:"state" enum:"registered,discovered,deploying,deployed,failed"`
}

func (a *API) registerHosts() {
	huma.Register(a.huma, huma.Operation{OperationID: "list-hosts", Method: http.MethodGet, Path: "/v1/hosts", Tags: []string{"hosts"}},
		func(ctx context.Context, in *hostListInput) (*pageOutput[api.Host], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			p, err := a.Store.ListHosts(ctx, store.HostFilter{ListOptions: in.options(), Hostgroup: in.Hostgroup, State: in.State})
			return &pageOutput[api.Host]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-host", Method: http.MethodGet, Path: "/v1/hosts/{name}", Tags: []string{"hosts"}},
		func(ctx context.Context, in *nameInput) (*bodyOutput[api.Host], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			h, err := a.Store.GetHost(ctx, in.Name)
			return &bodyOutput[api.Host]{h}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "create-host", Method: http.MethodPost, Path: "/v1/hosts", Tags: []string{"hosts"},
		DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *bodyInput[api.Host]) (*bodyOutput[api.Host], error) {
			h := in.Body
			if err := a.checkHost(ctx, h); err != nil {
				return nil, err
			}
			h.State, h.Inventory = api.HostRegistered, nil
			if h.Boot == "" {
				h.Boot = api.BootLocal
			}
			h, err := a.Store.CreateHost(ctx, h)
			return &bodyOutput[api.Host]{h}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "update-host", Method: http.MethodPut, Path: "/v1/hosts/{name}", Tags: []string{"hosts"}},
		func(ctx context.Context, in *namedBodyInput[api.Host]) (*bodyOutput[api.Host], error) {
			return a.updateHost(ctx, in.Name, in.Body)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "delete-host", Method: http.MethodDelete, Path: "/v1/hosts/{name}", Tags: []string{"hosts"},
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *nameInput) (*struct{}, error) {
			old, err := a.Store.GetHost(ctx, in.Name)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			if err := require(ctx, manageScope(old.Hostgroup)); err != nil {
				return nil, err
			}
			if d, err := a.Store.ActiveDeployment(ctx, in.Name); err == nil {
				return nil, huma.Error409Conflict(fmt.Sprintf("host %s has deployment %s in progress; cancel it first", in.Name, d.ID))
			}
			return nil, a.problem(ctx, a.Store.DeleteHost(ctx, in.Name))
		})
}

func (a *API) updateHost(ctx context.Context, name string, h api.Host) (*bodyOutput[api.Host], error) {
	if err := sameName(name, h.Name); err != nil {
		return nil, err
	}
	old, err := a.Store.GetHost(ctx, name)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	if err := require(ctx, manageScope(old.Hostgroup)); err != nil {
		return nil, err
	}
	if err := a.checkHost(ctx, h); err != nil {
		return nil, err
	}
	// State and inventory are the server's; the caller cannot set them.
	h.State, h.Inventory, h.CreatedAt = old.State, old.Inventory, old.CreatedAt
	if h.Boot == "" {
		h.Boot = old.Boot
	}
	h, err = a.Store.UpdateHost(ctx, h)
	return &bodyOutput[api.Host]{h}, a.problem(ctx, err)
}

// manageScope is the scope that manages hosts of a group; ungrouped hosts
// are the admin's.
func manageScope(group string) string {
	if group == "" {
		return "admin"
	}
	return "hostgroup:manage:" + group
}

// checkHost checks scope, duplicate MACs within the request, and the
// per-host values against the hostgroup's template.
func (a *API) checkHost(ctx context.Context, h api.Host) error {
	if err := require(ctx, manageScope(h.Hostgroup)); err != nil {
		return err
	}
	var details []*huma.ErrorDetail
	seen := map[string]int{}
	for i, m := range h.MACs {
		if j, dup := seen[m.String()]; dup {
			details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf("body.macs[%d]", i), Message: fmt.Sprintf("%s repeats macs[%d]", m, j), Value: m.String()})
		}
		seen[m.String()] = i
	}
	var tmpl api.Template // no group: every per-host field is locked
	if h.Hostgroup != "" {
		g, err := a.Store.GetHostgroup(ctx, h.Hostgroup)
		if err != nil {
			return invalid("host "+h.Name+" is not valid", &huma.ErrorDetail{Location: "body.hostgroup", Message: "no hostgroup named " + h.Hostgroup, Value: h.Hostgroup})
		}
		tmpl = g.Template
	}
	if h.BMC != nil {
		if u, err := url.Parse(h.BMC.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			details = append(details, &huma.ErrorDetail{Location: "body.bmc.endpoint", Message: "want the BMC's Redfish URL, like https://10.0.0.9 or https://bmc-r1-01.example:443", Value: h.BMC.Endpoint})
		}
	}
	if h.BMC != nil && h.BMC.Credential != "" {
		if _, _, err := a.Store.GetCredential(ctx, h.BMC.Credential); err != nil {
			details = append(details, &huma.ErrorDetail{Location: "body.bmc.credential", Message: "no credential named " + h.BMC.Credential + "; store it first with PUT /v1/credentials/" + h.BMC.Credential, Value: h.BMC.Credential})
		}
	}
	for _, fe := range template.Check(tmpl, h.Values) {
		details = append(details, &huma.ErrorDetail{Location: "body." + fe.Path, Message: fe.Message, Value: fe.Value})
	}
	if len(details) > 0 {
		return invalid("host "+h.Name+" is not valid", details...)
	}
	return nil
}
