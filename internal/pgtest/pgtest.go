// Package pgtest starts throw-away PostgreSQL servers for tests and
// benchmarks: initdb into a temporary directory, postgres on a free loopback
// port, one fresh database per test.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// ErrUnavailable means this machine cannot run a PostgreSQL server
// (no binaries, or running as root without a postgres user).
var ErrUnavailable = errors.New("postgresql unavailable")

// Server is a running throw-away PostgreSQL server.
type Server struct {
	dir    string
	owned  bool // dir was created by StartServer and is removed by Stop
	port   int
	cmd    *exec.Cmd
	done   chan struct{}
	admin  *sql.DB
	mu     sync.Mutex
	nextDB int
}

// StartServer initializes a cluster under dir (a new temporary directory if
// dir is empty) and starts postgres on 127.0.0.1. Stop it with Stop.
func StartServer(ctx context.Context, dir string) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, done: make(chan struct{})}
	if dir == "" {
		if s.dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
			return nil, fmt.Errorf("creating server directory: %w", err)
		}
		s.owned = true
	}
	if err := s.start(ctx, bin, cred); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	if cred != nil {
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("giving %s to the postgres user: %w", s.dir, err)
		}
	}
	data := filepath.Join(s.dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.launch(ctx, bin, data, cred); err == nil {
			return nil
		}
	}
	return err
}

// launch starts postgres on a free port and waits until it accepts queries.
func (s *Server) launch(ctx context.Context, bin, data string, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	s.done = make(chan struct{})
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "log_min_messages=FATAL")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	log, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return fmt.Errorf("creating postgres log: %w", err)
	}
	defer log.Close()
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(s.cmd, s.done)
	return s.waitReady(ctx)
}

func (s *Server) waitReady(ctx context.Context) error {
	db, err := sql.Open("pgx", s.dsn("postgres"))
	if err != nil {
		return fmt.Errorf("opening admin connection: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.done:
			db.Close()
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			return fmt.Errorf("postgres exited on port %d: %s", s.port, log)
		case <-ctx.Done():
			db.Close()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if err = db.PingContext(ctx); err == nil {
			s.admin = db
			return nil
		}
		if time.Now().After(deadline) {
			db.Close()
			return fmt.Errorf("waiting for postgres on port %d: %w", s.port, err)
		}
	}
}

// DSN returns the address of the server's "postgres" database.
func (s *Server) DSN() string { return s.dsn("postgres") }

func (s *Server) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// CreateDatabase creates a new, empty database and returns its DSN.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	s.mu.Lock()
	s.nextDB++
	name := fmt.Sprintf("t%d", s.nextDB)
	s.mu.Unlock()
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return s.dsn(name), nil
}

// DropDatabase drops a database made by CreateDatabase, closing its sessions.
func (s *Server) DropDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("parsing %q: %w", dsn, err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	_, err = s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	if err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down (fast shutdown) and removes its directory if
// StartServer created it.
func (s *Server) Stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	if s.owned {
		os.RemoveAll(s.dir)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("picking a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// binDir finds initdb and postgres: on PATH, or in Debian's versioned dirs.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", fmt.Errorf("%w: initdb not found on PATH or in /usr/lib/postgresql/*/bin", ErrUnavailable)
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

// credential returns the postgres user's identity when running as root
// (PostgreSQL refuses to run as root), or nil to run as the current user.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: running as root and no postgres user: %v", ErrUnavailable, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parsing uid of postgres user: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parsing gid of postgres user: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}
