// Package sqlstore implements store.Store on SQL databases: SQLite (pure Go,
// the embedded default) and PostgreSQL (for several replicas). One set of
// queries serves both; a small dialect switch covers the differences.
package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"ingot.dev/ingot/server/store"
)

var _ store.Store = (*Store)(nil)

// dialect is the SQL database behind a Store.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// DefaultSQLitePath is where Open keeps state when given an empty DSN.
const DefaultSQLitePath = "ingot.db"

// Store is a store.Store on SQLite or PostgreSQL.
type Store struct {
	dialect dialect
	writer  *sql.DB // SQLite: one connection, so writes never contend
	reader  *sql.DB // SQLite: a read-only pool; PostgreSQL: the same as writer
	rebound sync.Map
	now     func() time.Time
	stopCP  func()   // stops the SQLite checkpointer
	stmts   sync.Map // query → *sql.Stmt on the SQLite read pool
}

// Open connects to the database named by dsn and migrates it to the current
// schema. dsn is "postgres://..." or "postgresql://..." for PostgreSQL;
// "sqlite:PATH", a plain PATH, or "" (DefaultSQLitePath) for SQLite.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{now: time.Now}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.dialect = dialectPostgres
		err = s.openPostgres(dsn)
	} else {
		err = s.openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) openPostgres(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("opening postgresql: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.writer, s.reader = db, db
	return nil
}

func (s *Store) openSQLite(path string) error {
	if path == "" {
		path = DefaultSQLitePath
	}
	pragmas := "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	// The writer checkpoints only as a safety net (64 MiB of WAL); the
	// checkpointer does it in the background so commits do not wait on it.
	w, err := sql.Open("sqlite", path+pragmas+"&_pragma=wal_autocheckpoint(16384)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("opening sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", path+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return fmt.Errorf("opening sqlite %s: %w", path, err)
	}
	n := max(16, 4*runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.writer, s.reader = w, r
	cp, err := sql.Open("sqlite", path+pragmas)
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("opening sqlite %s: %w", path, err)
	}
	cp.SetMaxOpenConns(1)
	s.stopCP = checkpointer(cp, time.Second)
	return nil
}

// checkpointer copies the WAL into the database every interval with a
// PASSIVE checkpoint, which never blocks readers or the writer. It returns
// a function that stops it and closes db.
func checkpointer(db *sql.DB, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_, _ = db.Exec("PRAGMA wal_checkpoint(PASSIVE)") // best effort; the writer's autocheckpoint is the backstop
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		db.Close()
	}
}

// Ping checks that the database answers (through the read pool, so it
// never queues behind writes).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging database: %w", err)
	}
	return nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	if s.stopCP != nil {
		s.stopCP()
	}
	s.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	err := s.writer.Close()
	if s.reader != s.writer {
		if rerr := s.reader.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// bind rewrites a query written with ? placeholders for the dialect.
func (s *Store) bind(query string) string {
	if s.dialect != dialectPostgres {
		return query
	}
	if q, ok := s.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	s.rebound.Store(query, b.String())
	return b.String()
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs ?-placeholder queries on a database or a transaction.
type conn struct {
	s *Store
	q querier
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.s.bind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.cached(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, c.s.bind(query), args...)
}

func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.cached(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, c.s.bind(query), args...)
}

// cached returns a prepared statement for reads from the SQLite read pool,
// prepared once per connection instead of once per query (preparing was a
// fifth of the server's CPU). Other queries return nil and run unprepared;
// PostgreSQL's driver caches statements itself.
func (c conn) cached(ctx context.Context, query string) *sql.Stmt {
	if c.s.dialect != dialectSQLite || c.q != querier(c.s.reader) {
		return nil
	}
	if v, ok := c.s.stmts.Load(query); ok {
		return v.(*sql.Stmt)
	}
	st, err := c.s.reader.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared path reports the error
	}
	if v, loaded := c.s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return v.(*sql.Stmt)
	}
	return st
}

// read returns a connection for queries that do not write.
func (s *Store) read() conn { return conn{s: s, q: s.reader} }

// inTx runs fn in a write transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(conn{s: s, q: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// stamp is the current time as the store keeps it.
func (s *Store) stamp() time.Time { return fromMicros(micros(s.now())) }
