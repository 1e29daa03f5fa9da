package sqlstore

import (
	"context"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

const buildCols = "id, name, backend, recipe, image_set, secure_boot, state, phase, percent, error, image, cancel, " +
	"created_by, created_at, started_at, finished_at"

func scanBuild(r scanner) (api.Build, error) {
	var b api.Build
	var recipe string
	var sb, cancel int
	var created, started, finished int64
	err := r.Scan(&b.ID, &b.Name, &b.Backend, &recipe, &b.ImageSet, &sb, &b.State, &b.Phase, &b.Percent, &b.Error, &b.Image, &cancel,
		&b.CreatedBy, &created, &started, &finished)
	b.Recipe, b.SecureBoot, b.Cancel = rawJSON(recipe), sb != 0, cancel != 0
	b.CreatedAt, b.StartedAt, b.FinishedAt = fromMicros(created), fromMicros(started), fromMicros(finished)
	return b, err
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateBuild stores a new build; ConflictError "id" if it exists.
func (s *Store) CreateBuild(ctx context.Context, b api.Build) error {
	_, err := conn{s, s.writer}.exec(ctx, "INSERT INTO builds ("+buildCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		string(b.ID), b.Name, b.Backend, string(b.Recipe), b.ImageSet, bit(b.SecureBoot), string(b.State), string(b.Phase), b.Percent,
		b.Error, b.Image, bit(b.Cancel), b.CreatedBy, micros(b.CreatedAt), micros(b.StartedAt), micros(b.FinishedAt))
	if isUnique(err) {
		return conflict("id", "build %s exists", b.ID)
	}
	if err != nil {
		return fmt.Errorf("storing build %s: %w", b.ID, err)
	}
	return nil
}

// GetBuild returns the build.
func (s *Store) GetBuild(ctx context.Context, id api.BuildID) (api.Build, error) {
	return s.getBuild(ctx, s.read(), id)
}

func (s *Store) getBuild(ctx context.Context, c conn, id api.BuildID) (api.Build, error) {
	b, err := scanBuild(c.row(ctx, "SELECT "+buildCols+" FROM builds WHERE id = ?", string(id)))
	if err != nil {
		return api.Build{}, fmt.Errorf("getting build %s: %w", id, notFound(err, "build"))
	}
	return b, nil
}

// ListBuilds pages through builds, newest first (IDs sort by creation time).
func (s *Store) ListBuilds(ctx context.Context, f store.BuildFilter) (api.Page[api.Build], error) {
	n := pageSize(f.Limit)
	q, args := "SELECT "+buildCols+" FROM builds WHERE 1 = 1", []any{}
	if f.Cursor != "" {
		q, args = q+" AND id < ?", append(args, f.Cursor)
	}
	if f.State != "" {
		q, args = q+" AND state = ?", append(args, string(f.State))
	}
	rows, err := s.read().query(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, n+1)...)
	if err != nil {
		return api.Page[api.Build]{}, fmt.Errorf("listing builds: %w", err)
	}
	items, err := collect(rows, scanBuild)
	if err != nil {
		return api.Page[api.Build]{}, fmt.Errorf("listing builds: %w", err)
	}
	return pageOf(items, n, func(b api.Build) string { return string(b.ID) }), nil
}

// ClaimBuild moves the oldest queued build to running for owner.
func (s *Store) ClaimBuild(ctx context.Context, owner string, now time.Time) (api.Build, error) {
	if owner == "" {
		return api.Build{}, fmt.Errorf("claiming a build: empty owner")
	}
	var b api.Build
	err := s.inTx(ctx, func(c conn) error {
		q := "SELECT id FROM builds WHERE state = 'queued' ORDER BY id LIMIT 1"
		if s.dialect == dialectPostgres {
			q += " FOR UPDATE SKIP LOCKED"
		}
		var id string
		if err := c.row(ctx, q).Scan(&id); err != nil {
			return fmt.Errorf("claiming a build: %w", notFound(err, "queued build"))
		}
		_, err := c.exec(ctx, "UPDATE builds SET state = 'running', owner = ?, alive_at = ?, started_at = ? WHERE id = ?",
			owner, micros(now), micros(now), id)
		if err != nil {
			return fmt.Errorf("claiming build %s: %w", id, err)
		}
		b, err = s.getBuild(ctx, c, api.BuildID(id))
		return err
	})
	return b, err
}

// SaveBuild writes a running build's progress and outcome for its owner.
func (s *Store) SaveBuild(ctx context.Context, owner string, b api.Build, now time.Time) (api.Build, error) {
	var out api.Build
	err := s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE builds SET state = ?, phase = ?, percent = ?, error = ?, image = ?, finished_at = ?, alive_at = ?
			WHERE id = ? AND state = 'running' AND owner = ?`,
			string(b.State), string(b.Phase), b.Percent, b.Error, b.Image, micros(b.FinishedAt), micros(now), string(b.ID), owner)
		if err != nil {
			return fmt.Errorf("saving build %s: %w", b.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("saving build %s for %s: %w", b.ID, owner, store.ErrLeaseLost)
		}
		out, err = s.getBuild(ctx, c, b.ID)
		return err
	})
	return out, err
}

// CancelBuild cancels a queued build and marks a running one.
func (s *Store) CancelBuild(ctx context.Context, id api.BuildID, now time.Time) (api.Build, error) {
	var b api.Build
	err := s.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `UPDATE builds SET state = 'cancelled', phase = 'done', cancel = 1, finished_at = ?,
			error = 'cancelled before it started' WHERE id = ? AND state = 'queued'`, micros(now), string(id))
		if err == nil {
			_, err = c.exec(ctx, "UPDATE builds SET cancel = 1 WHERE id = ? AND state = 'running'", string(id))
		}
		if err != nil {
			return fmt.Errorf("cancelling build %s: %w", id, err)
		}
		b, err = s.getBuild(ctx, c, id)
		return err
	})
	return b, err
}

// FailStaleBuilds fails running builds whose owner was last alive before before.
func (s *Store) FailStaleBuilds(ctx context.Context, before time.Time, reason string, now time.Time) (int, error) {
	res, err := conn{s, s.writer}.exec(ctx, `UPDATE builds SET state = 'failed', error = ?, finished_at = ?, owner = ''
		WHERE state = 'running' AND alive_at < ?`, reason, micros(now), micros(before))
	if err != nil {
		return 0, fmt.Errorf("failing interrupted builds: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// AppendBuildLog appends lines and keeps the newest keep of them. The
// build's row is updated first, so concurrent appends commit in seq order.
func (s *Store) AppendBuildLog(ctx context.Context, id api.BuildID, lines []api.BuildLogLine, keep int) error {
	if len(lines) == 0 {
		return nil
	}
	return s.inTx(ctx, func(c conn) error {
		var last int64
		err := c.row(ctx, "UPDATE builds SET log_seq = log_seq + ? WHERE id = ? RETURNING log_seq", len(lines), string(id)).Scan(&last)
		if err != nil {
			return fmt.Errorf("appending to the log of build %s: %w", id, notFound(err, "build "+string(id)))
		}
		first := last - int64(len(lines)) + 1
		for i := range lines {
			l := &lines[i]
			l.Seq = first + int64(i)
			if l.Time.IsZero() {
				l.Time = s.stamp()
			}
			if _, err := c.exec(ctx, "INSERT INTO build_logs (build, seq, time, line) VALUES (?, ?, ?, ?)",
				string(id), l.Seq, micros(l.Time), l.Line); err != nil {
				return fmt.Errorf("appending to the log of build %s: %w", id, err)
			}
		}
		if keep > 0 && last > int64(keep) {
			if _, err := c.exec(ctx, "DELETE FROM build_logs WHERE build = ? AND seq <= ?", string(id), last-int64(keep)); err != nil {
				return fmt.Errorf("trimming the log of build %s: %w", id, err)
			}
		}
		return nil
	})
}

// BuildLog returns up to limit lines after afterSeq, oldest first.
func (s *Store) BuildLog(ctx context.Context, id api.BuildID, afterSeq int64, limit int) ([]api.BuildLogLine, error) {
	rows, err := s.read().query(ctx, "SELECT seq, time, line FROM build_logs WHERE build = ? AND seq > ? ORDER BY seq LIMIT ?",
		string(id), afterSeq, pageSize(limit))
	if err != nil {
		return nil, fmt.Errorf("reading the log of build %s: %w", id, err)
	}
	lines, err := collect(rows, func(r scanner) (api.BuildLogLine, error) {
		var l api.BuildLogLine
		var t int64
		err := r.Scan(&l.Seq, &t, &l.Line)
		l.Time = fromMicros(t)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the log of build %s: %w", id, err)
	}
	return lines, nil
}
