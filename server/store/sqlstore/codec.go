package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// micros is t as unix microseconds; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros, in UTC.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// nullMicros is a nullable time column: zero is NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: micros(t), Valid: !t.IsZero()}
}

// nullString is a nullable reference column: "" is NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// toJSON encodes v for a TEXT column.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding %T: %w", v, err)
	}
	return string(b), nil
}

// fromJSON decodes a TEXT column into v; "" leaves v as it is.
func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decoding %T: %w", v, err)
	}
	return nil
}

// rawJSON is a stored free-form JSON column: "" is nil.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// pageSize is opt.Limit within bounds: 0 means 100, at most 1000.
func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return 100
	case limit > 1000:
		return 1000
	}
	return limit
}

// pageOf cuts items fetched with LIMIT n+1 into a page of at most n.
func pageOf[T any](items []T, n int, key func(T) string) api.Page[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) <= n {
		return api.Page[T]{Items: items}
	}
	items = items[:n]
	return api.Page[T]{Items: items, NextCursor: key(items[n-1])}
}

// collect scans every row with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading rows: %w", err)
	}
	return out, nil
}

// notFound wraps store.ErrNotFound with what was looked for, and passes
// other errors through.
func notFound(err error, what string) error {
	if err == sql.ErrNoRows {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return err
}

// noRows reports whether a single-row query found nothing.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// conflict builds a *store.ConflictError.
func conflict(field, format string, args ...any) error {
	return &store.ConflictError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// affected returns ErrNotFound (about what) when res touched no rows.
func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("counting rows: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}
