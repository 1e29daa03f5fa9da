package install

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"ingot.dev/ingot/installer/stream"
)

// console prints progress lines for people watching the serial or VGA
// console.
type console struct {
	w  io.Writer
	mu sync.Mutex
}

func (c *console) phase(format string, args ...any) {
	if c.w == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "ingot: "+format+"\n", args...)
}

func (c *console) progress(p stream.Progress) {
	pct := 0.0
	if p.TotalBytes > 0 {
		pct = 100 * float64(p.Bytes) / float64(p.TotalBytes)
	}
	c.phase("  writing %s / %s (%.0f%%)  %.1f MiB/s  fetched %s  eta %s",
		mib(p.Bytes), mib(p.TotalBytes), pct, p.Rate/(1<<20), mib(p.Fetched), p.ETA.Round(time.Second))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// progressPoster sends installer.progress signals in the background, at
// most one per interval, always the latest value, so that a slow server
// never slows the disk writes.
type progressPoster struct {
	ch   chan [2]int64
	done chan struct{}
}

func newProgressPoster(ctx context.Context, c Server, id string, every time.Duration) *progressPoster {
	p := &progressPoster{ch: make(chan [2]int64, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		var last time.Time
		for v := range p.ch {
			if wait := every - time.Since(last); wait > 0 && v[0] != v[1] {
				continue // too soon; a later value follows
			}
			last = time.Now()
			_ = c.Signal(ctx, id, "installer.progress", map[string]int64{"bytes": v[0], "total": v[1]})
		}
	}()
	return p
}

func (p *progressPoster) post(bytes, total int64) {
	select {
	case <-p.ch: // drop the stale value
	default:
	}
	p.ch <- [2]int64{bytes, total}
}

func (p *progressPoster) close() {
	close(p.ch)
	<-p.done
}
