package pgtest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"ingot.dev/ingot/internal/testenv"
)

// shared is the test binary's one server, started by the first Start.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Start returns the DSN of a fresh, empty database on a PostgreSQL server
// shared by the whole test binary. The database is dropped when the test
// ends; the server is stopped by Main. If the machine cannot run PostgreSQL
// the test is skipped with the reason.
func Start(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		shared.srv, shared.err = StartServer(context.Background(), "")
	})
	if errors.Is(shared.err, ErrUnavailable) {
		testenv.Skip(t, "skipping: %v", shared.err)
	}
	if shared.err != nil {
		t.Fatalf("starting postgresql: %v", shared.err)
	}
	dsn, err := shared.srv.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := shared.srv.DropDatabase(context.Background(), dsn); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return dsn
}

// Main runs the tests and then stops the shared server. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	return code
}
