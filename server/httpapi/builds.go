package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/sse"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/server/auth"
	"ingot.dev/ingot/server/builds"
	"ingot.dev/ingot/server/store"
)

// Builds queues and cancels image builds (server/builds.Runner). Without
// it the build routes answer 501.
type Builds interface {
	Submit(ctx context.Context, req api.BuildRequest, by string) (api.Build, error)
	Cancel(ctx context.Context, id api.BuildID) (api.Build, error)
}

var _ Builds = (*builds.Runner)(nil)

type buildListInput struct {
	ListInput
	State api.BuildState `query:"state" enum:"queued,running,succeeded,failed,cancelled"`
}

type buildLogInput struct {
	ID    string `path:"id" maxLength:"80"`
	After int64  `query:"after" minimum:"0" doc:"Only lines with a larger seq."`
	Limit int    `query:"limit" minimum:"0" maximum:"1000"`
}

func (a *API) registerBuilds() {
	huma.Register(a.huma, huma.Operation{OperationID: "create-build", Method: http.MethodPost, Path: "/v1/builds", Tags: []string{"builds"},
		DefaultStatus: http.StatusCreated, MaxBodyBytes: 1 << 20,
		Summary: "Build an image from a recipe on the server (needs image:build and imageset:manage on the target set)"},
		a.createBuild)
	huma.Register(a.huma, huma.Operation{OperationID: "list-builds", Method: http.MethodGet, Path: "/v1/builds", Tags: []string{"builds"},
		Summary: "List builds, newest first"},
		func(ctx context.Context, in *buildListInput) (*pageOutput[api.Build], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			p, err := a.Store.ListBuilds(ctx, store.BuildFilter{ListOptions: in.options(), State: in.State})
			return &pageOutput[api.Build]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-build", Method: http.MethodGet, Path: "/v1/builds/{id}", Tags: []string{"builds"}},
		func(ctx context.Context, in *idInput) (*bodyOutput[api.Build], error) {
			b, err := a.readBuild(ctx, in.ID)
			return &bodyOutput[api.Build]{b}, err
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-build-log", Method: http.MethodGet, Path: "/v1/builds/{id}/log", Tags: []string{"builds"},
		Summary: "A build's log lines after a seq (the newest lines are kept)"},
		func(ctx context.Context, in *buildLogInput) (*bodyOutput[[]api.BuildLogLine], error) {
			if _, err := a.readBuild(ctx, in.ID); err != nil {
				return nil, err
			}
			lines, err := a.Store.BuildLog(ctx, api.BuildID(in.ID), in.After, in.Limit)
			return &bodyOutput[[]api.BuildLogLine]{lines}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "cancel-build", Method: http.MethodPost, Path: "/v1/builds/{id}/cancel", Tags: []string{"builds"},
		Summary: "Cancel a build: a queued one at once, a running one stops, its work is removed, nothing is registered"},
		a.cancelBuild)
	a.registerBuildLogStream()
}

func (a *API) createBuild(ctx context.Context, in *bodyInput[api.BuildRequest]) (*bodyOutput[api.Build], error) {
	if err := require(ctx, auth.ImageBuild, "imageset:manage:"+builds.TargetSet(in.Body)); err != nil {
		return nil, err
	}
	if a.Builds == nil {
		return nil, huma.Error501NotImplemented("this server runs no image builds")
	}
	b, err := a.Builds.Submit(ctx, in.Body, principal(ctx).Name)
	var fe *imagebuild.FieldError
	if errors.As(err, &fe) {
		return nil, huma.Error400BadRequest("recipe is not valid: "+fe.Message, &huma.ErrorDetail{Location: "body." + fe.Path, Message: fe.Message})
	}
	return &bodyOutput[api.Build]{b}, a.problem(ctx, err)
}

func (a *API) cancelBuild(ctx context.Context, in *idInput) (*bodyOutput[api.Build], error) {
	b, err := a.readBuild(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	if err := require(ctx, auth.ImageBuild, "imageset:manage:"+b.ImageSet); err != nil {
		return nil, err
	}
	if a.Builds == nil {
		return nil, huma.Error501NotImplemented("this server runs no image builds")
	}
	if b.State.Terminal() {
		return nil, huma.Error409Conflict("build " + in.ID + " already " + string(b.State) + "; nothing to cancel")
	}
	b, err = a.Builds.Cancel(ctx, b.ID)
	return &bodyOutput[api.Build]{b}, a.problem(ctx, err)
}

func (a *API) readBuild(ctx context.Context, id string) (api.Build, error) {
	if err := requireReader(ctx); err != nil {
		return api.Build{}, err
	}
	b, err := a.Store.GetBuild(ctx, api.BuildID(id))
	return b, a.problem(ctx, err)
}

// registerBuildLogStream serves a build's log as server-sent events until
// the build ends and every line has been sent.
func (a *API) registerBuildLogStream() {
	sse.Register(a.huma, huma.Operation{OperationID: "stream-build-log", Method: http.MethodGet, Path: "/v1/builds/{id}/log/stream", Tags: []string{"builds"},
		Summary: "Follow a build's log (text/event-stream); the stream ends when the build does"},
		map[string]any{"line": api.BuildLogLine{}, "build": api.Build{}, "error": api.Problem{}},
		func(ctx context.Context, in *streamInput, send sse.Sender) {
			if _, err := a.readBuild(ctx, in.ID); err != nil {
				_ = send.Data(api.Problem{Title: "cannot follow build " + in.ID, Detail: err.Error()})
				return
			}
			a.followBuild(ctx, api.BuildID(in.ID), in.After, send)
		})
}

// followBuild sends new log lines as they come; when the build has ended
// and its log is drained it sends the final build record and returns.
func (a *API) followBuild(ctx context.Context, id api.BuildID, after int64, send sse.Sender) {
	t := time.NewTicker(eventPoll)
	defer t.Stop()
	for {
		b, err := a.Store.GetBuild(ctx, id)
		if err != nil {
			return
		}
		lines, err := a.Store.BuildLog(ctx, id, after, 1000)
		if err != nil {
			return
		}
		for _, l := range lines {
			if send(sse.Message{ID: int(l.Seq), Data: l}) != nil {
				return
			}
			after = l.Seq
		}
		if b.State.Terminal() && len(lines) < 1000 {
			_ = send(sse.Message{Data: b})
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
