package sqlstore

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// AppendAudit records entries in one transaction; their Seq is assigned
// by the database.
func (s *Store) AppendAudit(ctx context.Context, entries ...api.AuditEntry) error {
	err := s.inTx(ctx, func(c conn) error {
		for _, e := range entries {
			if e.Time.IsZero() {
				e.Time = s.stamp()
			}
			if _, err := c.exec(ctx, "INSERT INTO audit (time, actor, method, path, status, resource) VALUES (?, ?, ?, ?, ?, ?)",
				micros(e.Time), e.Actor, e.Method, e.Path, e.Status, e.Resource); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("appending audit entries: %w", err)
	}
	return nil
}

// ListAudit pages through the audit log, newest first; the cursor is a seq.
func (s *Store) ListAudit(ctx context.Context, opt store.ListOptions) (api.Page[api.AuditEntry], error) {
	n := pageSize(opt.Limit)
	before := int64(math.MaxInt64)
	if opt.Cursor != "" {
		var err error
		if before, err = strconv.ParseInt(opt.Cursor, 10, 64); err != nil {
			return api.Page[api.AuditEntry]{}, fmt.Errorf("invalid audit cursor %q: pass next_cursor unchanged", opt.Cursor)
		}
	}
	rows, err := s.read().query(ctx, `SELECT seq, time, actor, method, path, status, resource FROM audit
		WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, n+1)
	if err != nil {
		return api.Page[api.AuditEntry]{}, fmt.Errorf("listing audit log: %w", err)
	}
	items, err := collect(rows, func(r scanner) (api.AuditEntry, error) {
		var e api.AuditEntry
		var t int64
		err := r.Scan(&e.Seq, &t, &e.Actor, &e.Method, &e.Path, &e.Status, &e.Resource)
		e.Time = fromMicros(t)
		return e, err
	})
	if err != nil {
		return api.Page[api.AuditEntry]{}, fmt.Errorf("listing audit log: %w", err)
	}
	return pageOf(items, n, func(e api.AuditEntry) string { return strconv.FormatInt(e.Seq, 10) }), nil
}
