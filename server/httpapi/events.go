package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/sse"

	"ingot.dev/ingot/api"
)

// eventPoll is how often a stream looks for new events. Polling the store
// keeps streams correct across several server replicas.
const eventPoll = 200 * time.Millisecond

type streamInput struct {
	ID    string `path:"id" maxLength:"80"`
	After int64  `query:"after" minimum:"0" doc:"Resume after this seq (the last id seen)."`
}

// registerEventStream serves a deployment's events as server-sent events
// until the deployment ends and every event has been sent.
func (a *API) registerEventStream() {
	sse.Register(a.huma, huma.Operation{OperationID: "stream-events", Method: http.MethodGet, Path: "/v1/deployments/{id}/events/stream", Tags: []string{"deployments"},
		Summary: "Follow a deployment's events (text/event-stream)"},
		map[string]any{"event": api.Event{}},
		func(ctx context.Context, in *streamInput, send sse.Sender) {
			id := api.DeploymentID(in.ID)
			if err := a.requireDeploymentReader(ctx, id); err != nil {
				_ = send.Data(api.Event{Deployment: id, Step: -1, Type: "stream.error", Message: err.Error()})
				return
			}
			a.follow(ctx, id, in.After, send)
		})
}

func (a *API) follow(ctx context.Context, id api.DeploymentID, after int64, send sse.Sender) {
	t := time.NewTicker(eventPoll)
	defer t.Stop()
	for {
		d, err := a.Store.GetDeployment(ctx, id)
		if err != nil {
			_ = send.Data(api.Event{Deployment: id, Step: -1, Type: "stream.error", Message: err.Error()})
			return
		}
		for {
			evs, err := a.Store.Events(ctx, id, after, 500)
			if err != nil {
				return
			}
			for _, e := range evs {
				if send(sse.Message{ID: int(e.Seq), Data: e}) != nil {
					return
				}
				after = e.Seq
			}
			if len(evs) < 500 {
				break
			}
		}
		if d.State.Terminal() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
