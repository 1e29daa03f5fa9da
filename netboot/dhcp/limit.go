package dhcp

import (
	"sync"
	"time"
)

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

// take refills b at rate up to burst and takes one token if there is one.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else {
		b.tokens = min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// maxTracked bounds the per-MAC table: a flood of random MACs cannot grow it
// without limit.
const maxTracked = 1 << 16

// limiter rate-limits per MAC and for all unknown MACs together.
type limiter struct {
	cfg     RateLimit
	mu      sync.Mutex
	macs    map[[6]byte]*bucket
	unknown bucket
}

func newLimiter(cfg RateLimit) *limiter {
	return &limiter{cfg: cfg, macs: map[[6]byte]*bucket{}}
}

// allowMAC takes a token from the MAC's bucket.
func (l *limiter) allowMAC(mac [6]byte, now time.Time) bool {
	if l.cfg.Disabled {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.macs[mac]
	if !ok {
		if len(l.macs) >= maxTracked {
			l.sweep(now)
		}
		b = &bucket{}
		l.macs[mac] = b
	}
	return b.take(now, l.cfg.PerMAC, l.cfg.PerMACBurst)
}

// allowUnknown takes a token from the bucket shared by unknown MACs.
func (l *limiter) allowUnknown(now time.Time) bool {
	if l.cfg.Disabled {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unknown.take(now, l.cfg.Unknown, l.cfg.UnknownBurst)
}

// sweep forgets buckets that have refilled completely (forgetting them
// changes nothing); if that frees too little, it forgets all of them, which
// only ever grants tokens, never starves anyone.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(float64(l.cfg.PerMACBurst) / l.cfg.PerMAC * float64(time.Second))
	for k, b := range l.macs {
		if now.Sub(b.last) >= full {
			delete(l.macs, k)
		}
	}
	if len(l.macs) >= maxTracked/2 {
		clear(l.macs)
	}
}
