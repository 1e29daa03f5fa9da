package chunkstore

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// limiter paces the bytes sent to each client IP: every client has a
// virtual clock that advances by n/rate for n bytes; writers sleep until it.
type limiter struct {
	rate    float64 // bytes per second
	mu      sync.Mutex
	clients map[string]time.Time
}

func newLimiter(bytesPerSecond int64) *limiter {
	return &limiter{rate: float64(bytesPerSecond), clients: map[string]time.Time{}}
}

// reserve returns how long to wait before sending n bytes to client.
func (l *limiter) reserve(client string, n int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	next := l.clients[client]
	if burst := now.Add(-20 * time.Millisecond); next.Before(burst) {
		next = burst
	}
	next = next.Add(time.Duration(float64(n) / l.rate * float64(time.Second)))
	l.clients[client] = next
	if len(l.clients) > 4096 { // forget idle clients
		for c, t := range l.clients {
			if t.Before(now) {
				delete(l.clients, c)
			}
		}
	}
	return next.Sub(now)
}

func (l *limiter) writer(r *http.Request, w http.ResponseWriter) http.ResponseWriter {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return &paced{ResponseWriter: w, l: l, client: host, done: r.Context().Done()}
}

type paced struct {
	http.ResponseWriter
	l      *limiter
	client string
	done   <-chan struct{}
}

func (p *paced) Write(b []byte) (int, error) {
	var written int
	for len(b) > 0 {
		n := min(len(b), 32<<10)
		if d := p.l.reserve(p.client, n); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				return written, context.Canceled
			}
		}
		k, err := p.ResponseWriter.Write(b[:n])
		written += k
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}
