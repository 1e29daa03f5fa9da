package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/store"
)

type deploymentListInput struct {
	ListInput
	Host      string              `query:"host" maxLength:"63"`
	Hostgroup string              `query:"hostgroup" maxLength:"63"`
	State     api.DeploymentState `query:"state" enum:"pending,running,compensating,succeeded,failed,cancelled"`
}

type eventsInput struct {
	ID    string `path:"id" maxLength:"80"`
	After int64  `query:"after" minimum:"0" doc:"Only events with a larger seq."`
	Limit int    `query:"limit" minimum:"0" maximum:"1000"`
}

type signalInput struct {
	ID   string `path:"id" maxLength:"80"`
	Body api.Signal
}

func (a *API) registerDeployments() {
	huma.Register(a.huma, huma.Operation{OperationID: "create-deployments", Method: http.MethodPost, Path: "/v1/deployments", Tags: []string{"deployments"},
		DefaultStatus: http.StatusCreated, MaxBodyBytes: 1 << 20, Summary: "Deploy hosts (or plan them with dry_run)"},
		a.createDeployments)
	huma.Register(a.huma, huma.Operation{OperationID: "list-deployments", Method: http.MethodGet, Path: "/v1/deployments", Tags: []string{"deployments"}},
		func(ctx context.Context, in *deploymentListInput) (*pageOutput[api.Deployment], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			f := store.DeploymentFilter{ListOptions: in.options(), Host: in.Host, Hostgroup: in.Hostgroup, State: in.State}
			p, err := a.Store.ListDeployments(ctx, f)
			return &pageOutput[api.Deployment]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-deployment", Method: http.MethodGet, Path: "/v1/deployments/{id}", Tags: []string{"deployments"}},
		func(ctx context.Context, in *idInput) (*bodyOutput[api.Deployment], error) {
			d, err := a.Store.GetDeployment(ctx, api.DeploymentID(in.ID))
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			if err := a.requireDeploymentReader(ctx, d.ID); err != nil {
				return nil, err
			}
			return &bodyOutput[api.Deployment]{d}, nil
		})
	huma.Register(a.huma, huma.Operation{OperationID: "cancel-deployment", Method: http.MethodPost, Path: "/v1/deployments/{id}/cancel", Tags: []string{"deployments"},
		DefaultStatus: http.StatusAccepted},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			d, err := a.Store.GetDeployment(ctx, api.DeploymentID(in.ID))
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			if err := require(ctx, "hostgroup:deploy:"+d.Hostgroup); err != nil {
				return nil, err
			}
			if d.State.Terminal() {
				return nil, huma.Error409Conflict(fmt.Sprintf("deployment %s already ended %s", d.ID, d.State))
			}
			if err := a.Store.RequestCancel(ctx, d.ID); err != nil {
				return nil, a.problem(ctx, err)
			}
			a.Engine.Wake()
			return nil, nil
		})
	huma.Register(a.huma, huma.Operation{OperationID: "post-signal", Method: http.MethodPost, Path: "/v1/deployments/{id}/signals", Tags: []string{"deployments"},
		DefaultStatus: http.StatusAccepted, Summary: "Report to a waiting deployment (installer, first boot, operator)"},
		a.postSignal)
	huma.Register(a.huma, huma.Operation{OperationID: "list-events", Method: http.MethodGet, Path: "/v1/deployments/{id}/events", Tags: []string{"deployments"}},
		func(ctx context.Context, in *eventsInput) (*bodyOutput[[]api.Event], error) {
			if err := a.requireDeploymentReader(ctx, api.DeploymentID(in.ID)); err != nil {
				return nil, err
			}
			evs, err := a.Store.Events(ctx, api.DeploymentID(in.ID), in.After, in.Limit)
			return &bodyOutput[[]api.Event]{evs}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "list-signals", Method: http.MethodGet, Path: "/v1/deployments/{id}/signals", Tags: []string{"deployments"},
		Summary: "What the installer and the first boot reported (the phone-home data)"},
		func(ctx context.Context, in *idInput) (*bodyOutput[[]api.Signal], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			sigs, err := a.Store.Signals(ctx, api.DeploymentID(in.ID))
			return &bodyOutput[[]api.Signal]{sigs}, a.problem(ctx, err)
		})
	a.registerEventStream()
}

func (a *API) createDeployments(ctx context.Context, in *bodyInput[api.DeployRequest]) (*bodyOutput[api.DeployResult], error) {
	timeout := a.DefaultTimeout
	if in.Body.Timeout != "" {
		t, err := time.ParseDuration(in.Body.Timeout)
		if err != nil || t < time.Minute {
			return nil, invalid("bad timeout", &huma.ErrorDetail{Location: "body.timeout", Message: "want a Go duration of at least 1m, like 90m or 2h", Value: in.Body.Timeout})
		}
		timeout = t
	}
	opts := planner.Options{CreatedBy: principal(ctx).Name, Timeout: timeout, Now: a.Now()}
	ds := make([]api.Deployment, 0, len(in.Body.Hosts))
	seen := map[string]bool{}
	for i, name := range in.Body.Hosts {
		loc := fmt.Sprintf("body.hosts[%d]", i)
		if seen[name] {
			return nil, invalid("host named twice", &huma.ErrorDetail{Location: loc, Message: "host " + name + " is already in the list", Value: name})
		}
		seen[name] = true
		d, err := a.planOne(ctx, name, loc, opts, in.Body.DryRun)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	if in.Body.DryRun {
		readOnlyCall(ctx)
	} else {
		if err := a.Store.CreateDeployments(ctx, ds); err != nil {
			return nil, a.problem(ctx, err)
		}
		a.Engine.Wake()
	}
	return &bodyOutput[api.DeployResult]{api.DeployResult{DryRun: in.Body.DryRun, Deployments: ds}}, nil
}

// planOne checks the caller may deploy the host (deploy scope on its
// hostgroup and on that group's image set) and plans it.
func (a *API) planOne(ctx context.Context, name, loc string, opts planner.Options, dryRun bool) (api.Deployment, error) {
	h, err := a.Store.GetHost(ctx, name)
	if err != nil {
		return api.Deployment{}, invalid("unknown host", &huma.ErrorDetail{Location: loc, Message: "no host named " + name, Value: name})
	}
	if h.Hostgroup == "" {
		return api.Deployment{}, invalid("host has no hostgroup", &huma.ErrorDetail{Location: loc, Message: "host " + name + " is in no hostgroup; assign one first", Value: name})
	}
	g, err := a.Store.GetHostgroup(ctx, h.Hostgroup)
	if err != nil {
		return api.Deployment{}, a.problem(ctx, err)
	}
	if err := require(ctx, "hostgroup:deploy:"+g.Name, "imageset:deploy:"+g.ImageSet); err != nil {
		return api.Deployment{}, err
	}
	if err := a.usableSet(ctx, g.ImageSet, loc, name); err != nil {
		return api.Deployment{}, err
	}
	if !dryRun {
		if d, err := a.Store.ActiveDeployment(ctx, name); err == nil {
			return api.Deployment{}, huma.Error409Conflict("host already deploying", &huma.ErrorDetail{Location: loc, Message: fmt.Sprintf("host %s has deployment %s in state %s; wait for it or cancel it", name, d.ID, d.State), Value: name})
		}
	}
	d, err := a.Planner.Plan(ctx, name, opts)
	if pe, ok := err.(*planner.PlanError); ok {
		return api.Deployment{}, invalid("cannot plan host "+name, &huma.ErrorDetail{Location: loc, Message: pe.Error(), Value: name})
	}
	return d, a.problem(ctx, err)
}

func (a *API) postSignal(ctx context.Context, in *signalInput) (*struct{}, error) {
	id := api.DeploymentID(in.ID)
	d, err := a.Store.GetDeployment(ctx, id)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	p := principal(ctx)
	if p.Host != "" && p.Host != d.Host {
		return nil, huma.Error403Forbidden(fmt.Sprintf("token %q is bound to host %s, not %s", p.Name, p.Host, d.Host))
	}
	if require(ctx, installerScope(id)) != nil {
		if err := require(ctx, "hostgroup:deploy:"+d.Hostgroup); err != nil {
			return nil, err
		}
	}
	if d.State.Terminal() {
		return nil, huma.Error409Conflict(fmt.Sprintf("deployment %s already ended %s; signals are no longer taken", id, d.State))
	}
	s := in.Body
	s.Time = a.Now().UTC()
	if err := a.Store.AddSignal(ctx, id, s); err != nil {
		return nil, a.problem(ctx, err)
	}
	a.Engine.Wake()
	return nil, nil
}

// requireDeploymentReader admits API tokens and the deployment's own
// installer token.
func (a *API) requireDeploymentReader(ctx context.Context, id api.DeploymentID) error {
	if require(ctx, installerScope(id)) == nil {
		return nil
	}
	return requireReader(ctx)
}
