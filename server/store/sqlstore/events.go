package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"ingot.dev/ingot/api"
)

// AddSignal stores a signal for the deployment and wakes it.
func (s *Store) AddSignal(ctx context.Context, id api.DeploymentID, sig api.Signal) error {
	if sig.Time.IsZero() {
		sig.Time = s.stamp()
	}
	return s.inTx(ctx, func(c conn) error {
		if err := wake(ctx, c, id, ""); err != nil {
			return err
		}
		_, err := c.exec(ctx, "INSERT INTO signals (deployment, name, data, time) VALUES (?, ?, ?, ?)",
			string(id), sig.Name, string(sig.Data), micros(sig.Time))
		if err != nil {
			return fmt.Errorf("adding signal %s to deployment %s: %w", sig.Name, id, err)
		}
		return nil
	})
}

// Signals returns the deployment's signals, oldest first.
func (s *Store) Signals(ctx context.Context, id api.DeploymentID) ([]api.Signal, error) {
	rows, err := s.read().query(ctx, "SELECT name, data, time FROM signals WHERE deployment = ? ORDER BY seq", string(id))
	if err != nil {
		return nil, fmt.Errorf("listing signals of deployment %s: %w", id, err)
	}
	sigs, err := collect(rows, func(r scanner) (api.Signal, error) {
		var sig api.Signal
		var data string
		var t int64
		err := r.Scan(&sig.Name, &data, &t)
		sig.Data, sig.Time = rawJSON(data), fromMicros(t)
		return sig, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing signals of deployment %s: %w", id, err)
	}
	return sigs, nil
}

// AppendEvents appends events outside a lease; their Seq is filled in.
func (s *Store) AppendEvents(ctx context.Context, events []api.Event) error {
	ids := make([]string, 0, 1)
	for _, e := range events {
		ids = append(ids, string(e.Deployment))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return s.inTx(ctx, func(c conn) error {
		// Lock the deployments (in a fixed order) so that seq order within
		// a deployment is commit order: readers polling Events after a seq
		// never miss one.
		for _, id := range ids {
			res, err := c.exec(ctx, "UPDATE deployments SET wakes = wakes WHERE id = ?", id)
			if err != nil {
				return fmt.Errorf("appending events to deployment %s: %w", id, err)
			}
			if err := affected(res, "deployment "+id); err != nil {
				return err
			}
		}
		return insertEvents(ctx, c, events)
	})
}

// insertEvents inserts events, filling in Seq (and Time if zero).
func insertEvents(ctx context.Context, c conn, events []api.Event) error {
	for i := range events {
		e := &events[i]
		if e.Time.IsZero() {
			e.Time = c.s.stamp()
		}
		e.Time = fromMicros(micros(e.Time))
		err := c.row(ctx, `INSERT INTO events (deployment, time, step, type, message, data)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
			string(e.Deployment), micros(e.Time), e.Step, e.Type, e.Message, string(e.Data)).Scan(&e.Seq)
		if err != nil {
			return fmt.Errorf("appending event %s to deployment %s: %w", e.Type, e.Deployment, err)
		}
	}
	return nil
}

// Events returns up to limit (0: 100, at most 1000) of the deployment's
// events after afterSeq, oldest first.
func (s *Store) Events(ctx context.Context, id api.DeploymentID, afterSeq int64, limit int) ([]api.Event, error) {
	rows, err := s.read().query(ctx, `SELECT seq, deployment, time, step, type, message, data FROM events
		WHERE deployment = ? AND seq > ? ORDER BY seq LIMIT ?`, string(id), afterSeq, pageSize(limit))
	if err != nil {
		return nil, fmt.Errorf("listing events of deployment %s: %w", id, err)
	}
	evs, err := collect(rows, func(r scanner) (api.Event, error) {
		var e api.Event
		var data string
		var t int64
		err := r.Scan(&e.Seq, &e.Deployment, &t, &e.Step, &e.Type, &e.Message, &data)
		e.Time, e.Data = fromMicros(t), rawJSON(data)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing events of deployment %s: %w", id, err)
	}
	return evs, nil
}
