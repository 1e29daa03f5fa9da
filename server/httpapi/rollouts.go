package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/rollout"
)

// Rollouts reports where a rollout stands (the rollout controller).
type Rollouts interface {
	Summary(ctx context.Context, id api.RolloutID) (api.RolloutSummary, error)
}

func (a *API) registerRollouts() {
	huma.Register(a.huma, huma.Operation{OperationID: "start-rollout", Method: http.MethodPost, Path: "/v1/rollouts", Tags: []string{"rollouts"},
		DefaultStatus: http.StatusCreated, Summary: "Deploy a hostgroup in phases: canaries, then batches, stopping at a failure threshold"},
		func(ctx context.Context, in *bodyInput[api.Rollout]) (*bodyOutput[api.RolloutSummary], error) {
			g, err := a.Store.GetHostgroup(ctx, in.Body.Hostgroup)
			if err != nil {
				return nil, invalid("unknown hostgroup", &huma.ErrorDetail{Location: "body.hostgroup", Message: "no hostgroup named " + in.Body.Hostgroup, Value: in.Body.Hostgroup})
			}
			if err := require(ctx, "hostgroup:deploy:"+g.Name, "imageset:deploy:"+g.ImageSet); err != nil {
				return nil, err
			}
			r, err := rollout.Start(ctx, a.Store, in.Body, principal(ctx).Name)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			s, err := a.Rollouts.Summary(ctx, r.ID)
			return &bodyOutput[api.RolloutSummary]{s}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-rollout", Method: http.MethodGet, Path: "/v1/rollouts/{id}", Tags: []string{"rollouts"}},
		func(ctx context.Context, in *idInput) (*bodyOutput[api.RolloutSummary], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			s, err := a.Rollouts.Summary(ctx, api.RolloutID(in.ID))
			return &bodyOutput[api.RolloutSummary]{s}, a.problem(ctx, err)
		})
}
