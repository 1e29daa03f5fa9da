package httpapi

import (
	"context"
	"sync"
	"time"

	"ingot.dev/ingot/api"
)

// tokenTTL bounds how long a revoked token keeps working on another
// replica; on the replica that revoked it, it stops at once.
const tokenTTL = 2 * time.Second

// tokenCache remembers token lookups briefly, so a busy client does not
// cost a database read per request for authentication alone.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken
	lookup  func(ctx context.Context, hash []byte) (api.Token, error)
	now     func() time.Time
}

type cachedToken struct {
	tok  api.Token
	seen time.Time
}

func (c *tokenCache) get(ctx context.Context, hash []byte) (api.Token, error) {
	key := string(hash)
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.seen) < tokenTTL {
		return e.tok, nil
	}
	tok, err := c.lookup(ctx, hash)
	if err != nil {
		return tok, err
	}
	c.mu.Lock()
	if len(c.entries) >= 10000 {
		clear(c.entries)
	}
	c.entries[key] = cachedToken{tok, c.now()}
	c.mu.Unlock()
	return tok, nil
}

// forget drops a token (revoked here) from the cache.
func (c *tokenCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.tok.ID == id {
			delete(c.entries, k)
		}
	}
}
