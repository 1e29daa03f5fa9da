package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/pgtest"
	"ingot.dev/ingot/server/store"
	"ingot.dev/ingot/server/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openSQLite(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), pgtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t) })
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	for range 2 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateImage(t.Context(), api.Image{ID: fmt.Sprint(time.Now().UnixNano()), Name: "x"}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

// TestMigrationsAgree checks the two dialects' schemas differ only in how
// sequence numbers are generated.
func TestMigrationsAgree(t *testing.T) {
	entries, err := migrations.ReadDir("migrations/sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		lite, _ := migrations.ReadFile("migrations/sqlite/" + e.Name())
		pg, err := migrations.ReadFile("migrations/postgres/" + e.Name())
		if err != nil {
			t.Fatalf("%s has no postgres twin: %v", e.Name(), err)
		}
		norm := strings.NewReplacer("INTEGER PRIMARY KEY AUTOINCREMENT", "SEQ",
			"BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "SEQ",
			"migrations/postgres", "migrations/X", "migrations/sqlite", "migrations/X")
		if norm.Replace(string(lite)) != norm.Replace(string(pg)) {
			t.Errorf("%s: sqlite and postgres migrations differ beyond sequences", e.Name())
		}
	}
}

func TestRebind(t *testing.T) {
	s := &Store{dialect: dialectPostgres}
	got := s.bind("SELECT a FROM t WHERE b = ? AND c IN (?, ?)")
	if want := "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"; got != want {
		t.Errorf("bind = %q, want %q", got, want)
	}
}

// seed makes n pending deployments on s.
func seed(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.CreateImageSet(ctx, api.ImageSet{Name: "set"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateHostgroup(ctx, api.Hostgroup{Name: "g", ImageSet: "set"}); err != nil {
		t.Fatal(err)
	}
	ds := make([]api.Deployment, n)
	for i := range ds {
		h, err := s.CreateHost(ctx, api.Host{Name: fmt.Sprintf("h%03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ds[i] = api.Deployment{ID: api.DeploymentID(fmt.Sprintf("d%03d", i)), Host: h.Name, Hostgroup: "g"}
	}
	if err := s.CreateDeployments(ctx, ds); err != nil {
		t.Fatal(err)
	}
}

// engines runs four claimers against s until a round finds nothing, and
// returns how often each deployment was claimed.
func engines(t *testing.T, s *Store, globalCap int) map[api.DeploymentID]int {
	var mu sync.Mutex
	seen := map[api.DeploymentID]int{}
	var wg sync.WaitGroup
	now := time.Now()
	for e := range 4 {
		wg.Go(func() {
			for idle := 0; idle < 3; {
				got, err := s.ClaimDeployments(context.Background(), store.Claim{
					Owner: fmt.Sprintf("engine-%d", e), TTL: time.Hour, Limit: 3, GlobalCap: globalCap, Now: now})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					idle++
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return seen
}

func TestConcurrentClaimsPostgres(t *testing.T) {
	s := openPostgres(t)
	seed(t, s, 50)
	seen := engines(t, s, 0)
	if len(seen) != 50 {
		t.Errorf("claimed %d distinct deployments, want 50", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("deployment %s claimed %d times", id, n)
		}
	}
}

func TestConcurrentClaimsRespectCapPostgres(t *testing.T) {
	s := openPostgres(t)
	seed(t, s, 50)
	if seen := engines(t, s, 7); len(seen) != 7 {
		t.Errorf("4 engines with global cap 7 claimed %d deployments", len(seen))
	}
}

func TestConcurrentClaimsSQLite(t *testing.T) {
	s := openSQLite(t)
	seed(t, s, 50)
	seen := engines(t, s, 0)
	if len(seen) != 50 {
		t.Errorf("claimed %d distinct deployments, want 50", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("deployment %s claimed %d times", id, n)
		}
	}
}
