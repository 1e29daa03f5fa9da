package sqlstore

import (
	"fmt"
	"path/filepath"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/pgtest"
)

// benchCreateHost registers b.N hosts with two MACs each, then looks each
// up by MAC, as the API does when registering and network-booting.
func benchCreateHost(b *testing.B, dsn string) {
	ctx := b.Context()
	s, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	mac := func(n int) api.MAC {
		m, _ := api.ParseMAC(fmt.Sprintf("52:54:%02x:%02x:%02x:%02x", n>>24&0xff, n>>16&0xff, n>>8&0xff, n&0xff))
		return m
	}
	b.ResetTimer()
	for i := range b.N {
		h := api.Host{Name: fmt.Sprintf("h%07d", i), MACs: []api.MAC{mac(2 * i), mac(2*i + 1)}}
		if _, err := s.CreateHost(ctx, h); err != nil {
			b.Fatal(err)
		}
	}
	for i := range b.N {
		if _, err := s.GetHostByMAC(ctx, mac(2*i+1)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateHostSQLite(b *testing.B) {
	benchCreateHost(b, filepath.Join(b.TempDir(), "bench.db"))
}

func BenchmarkCreateHostPostgres(b *testing.B) {
	benchCreateHost(b, pgtest.Start(b))
}
