package httpapi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/api"
)

func TestAuditBatcherGroupsConcurrentEntries(t *testing.T) {
	var mu sync.Mutex
	var stored []api.AuditEntry
	writes := 0
	b := &auditBatcher{write: func(_ context.Context, es ...api.AuditEntry) error {
		time.Sleep(2 * time.Millisecond) // a commit takes time; others queue meanwhile
		mu.Lock()
		defer mu.Unlock()
		writes++
		stored = append(stored, es...)
		return nil
	}}
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := b.append(context.Background(), api.AuditEntry{Status: i}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, e := range stored {
		seen[e.Status] = true
	}
	if len(stored) != n || len(seen) != n {
		t.Fatalf("stored %d entries (%d distinct), want %d", len(stored), len(seen), n)
	}
	if writes >= n/2 {
		t.Errorf("%d writes for %d concurrent entries; want them grouped", writes, n)
	}
}

func TestAuditBatcherReportsWriteErrors(t *testing.T) {
	boom := errors.New("disk full")
	b := &auditBatcher{write: func(context.Context, ...api.AuditEntry) error { return boom }}
	if err := b.append(context.Background(), api.AuditEntry{}); !errors.Is(err, boom) {
		t.Fatalf("append: %v, want the write error", err)
	}
}
