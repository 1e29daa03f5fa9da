package pgtest

import (
	"context"
	"database/sql"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestStartGivesFreshDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := Start(t), Start(t)
	if a == b {
		t.Fatalf("Start returned the same database twice: %s", a)
	}
	db, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE x (id INT)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	var user string
	if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != "postgres" {
		t.Errorf("current_user = %q, want postgres", user)
	}
	db2, err := sql.Open("pgx", b)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var n int
	err = db2.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'x'").Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("second database sees table x: n=%d err=%v", n, err)
	}
}

func TestStopRemovesDirectory(t *testing.T) {
	srv, err := StartServer(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := srv.dir
	srv.Stop()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("directory %s still there after Stop: %v", dir, err)
	}
}
