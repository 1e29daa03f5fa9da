package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
)

// TypeNote is the type of the event a notify step appends.
const TypeNote = "step.note"

// NotifyParams hold the message to record.
type NotifyParams struct {
	Message string `json:"message"`
}

// Notify records a message in the deployment's event log.
type Notify struct {
	deps  Deps
	d     api.Deployment
	index int
	msg   string
}

func (deps Deps) notify(d api.Deployment, i int, raw json.RawMessage) (engine.Step, error) {
	var p NotifyParams
	if err := decode(raw, &p); err != nil {
		return nil, err
	}
	if p.Message == "" {
		return nil, errors.New("params: message is required")
	}
	return &Notify{deps: deps, d: d, index: i, msg: p.Message}, nil
}

// Do implements engine.Step. After a restart the note may appear twice.
func (n *Notify) Do(ctx context.Context) error {
	ev := api.Event{Deployment: n.d.ID, Time: n.deps.Now(), Step: n.index, Type: TypeNote, Message: n.msg}
	if err := n.deps.Events.AppendEvents(ctx, []api.Event{ev}); err != nil {
		return fmt.Errorf("recording note: %w", err)
	}
	return nil
}

// Undo implements engine.Step; a note stays recorded.
func (n *Notify) Undo(context.Context) error { return nil }
