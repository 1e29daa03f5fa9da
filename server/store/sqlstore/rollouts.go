package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// CreateRollout stores a new rollout; ConflictError "id" if it exists.
func (s *Store) CreateRollout(ctx context.Context, r api.Rollout) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding rollout %s: %w", r.ID, err)
	}
	err = s.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "INSERT INTO rollouts (id, hostgroup, body, created_at, finished_at) VALUES (?, ?, ?, ?, ?)",
			string(r.ID), r.Hostgroup, string(body), micros(r.CreatedAt), micros(r.FinishedAt))
		if isUnique(err) {
			return conflict("id", "rollout %s exists", r.ID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("storing rollout %s: %w", r.ID, err)
	}
	return nil
}

// GetRollout returns the rollout.
func (s *Store) GetRollout(ctx context.Context, id api.RolloutID) (api.Rollout, error) {
	var body string
	var fin int64
	err := s.read().row(ctx, "SELECT body, finished_at FROM rollouts WHERE id = ?", string(id)).Scan(&body, &fin)
	if errors.Is(err, sql.ErrNoRows) {
		return api.Rollout{}, fmt.Errorf("rollout %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return api.Rollout{}, fmt.Errorf("reading rollout %s: %w", id, err)
	}
	return rolloutOf(body, fin)
}

// ActiveRollouts lists the rollouts not finished, oldest first.
func (s *Store) ActiveRollouts(ctx context.Context) ([]api.Rollout, error) {
	rows, err := s.read().query(ctx, "SELECT body, finished_at FROM rollouts WHERE finished_at = 0 ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("listing rollouts: %w", err)
	}
	defer rows.Close()
	var out []api.Rollout
	for rows.Next() {
		var body string
		var fin int64
		if err := rows.Scan(&body, &fin); err != nil {
			return nil, err
		}
		r, err := rolloutOf(body, fin)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FinishRollout records that the rollout will start nothing more.
func (s *Store) FinishRollout(ctx context.Context, id api.RolloutID, at time.Time) error {
	res, err := conn{s, s.writer}.exec(ctx, "UPDATE rollouts SET finished_at = ? WHERE id = ? AND finished_at = 0", micros(at), string(id))
	if err != nil {
		return fmt.Errorf("finishing rollout %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.GetRollout(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func rolloutOf(body string, fin int64) (api.Rollout, error) {
	var r api.Rollout
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("decoding rollout: %w", err)
	}
	r.FinishedAt = fromMicros(fin)
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}
