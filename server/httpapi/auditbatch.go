package httpapi

import (
	"context"
	"sync"

	"ingot.dev/ingot/api"
)

// auditBatcher commits audit entries in groups: the first caller to find
// no flush under way becomes the leader and writes everything queued, in
// one transaction, until the queue is empty; the others wait for the flush
// that carries their entry. Under load this turns N audit writes into a
// few, and every call still returns only once its entry is stored.
type auditBatcher struct {
	write func(ctx context.Context, entries ...api.AuditEntry) error

	mu       sync.Mutex
	queue    []queuedEntry
	flushing bool
}

type queuedEntry struct {
	e    api.AuditEntry
	done chan error
}

func (b *auditBatcher) append(ctx context.Context, e api.AuditEntry) error {
	done := make(chan error, 1)
	b.mu.Lock()
	b.queue = append(b.queue, queuedEntry{e, done})
	if b.flushing {
		b.mu.Unlock()
		return <-done
	}
	b.flushing = true
	for len(b.queue) > 0 {
		batch := b.queue
		b.queue = nil
		b.mu.Unlock()
		entries := make([]api.AuditEntry, len(batch))
		for i, q := range batch {
			entries[i] = q.e
		}
		// Others' entries ride on this write: one caller's cancel must
		// not drop them.
		err := b.write(context.WithoutCancel(ctx), entries...)
		for _, q := range batch {
			q.done <- err
		}
		b.mu.Lock()
	}
	b.flushing = false
	b.mu.Unlock()
	return <-done
}
