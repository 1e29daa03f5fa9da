package stream

import (
	"sync/atomic"
	"time"
)

type counters struct {
	fetched, fetchedBytes, attempts, written, writtenBytes, delta, zero atomic.Int64
	doneBytes, doneChunks                                               atomic.Int64
}

func (c *counters) result() Result {
	return Result{
		ChunksFetched: c.fetched.Load(), BytesFetched: c.fetchedBytes.Load(),
		FetchAttempts: c.attempts.Load(), ChunksWritten: c.written.Load(),
		BytesWritten: c.writtenBytes.Load(), DeltaSkipped: c.delta.Load(), ZeroChunks: c.zero.Load(),
	}
}

func (c *counters) progress(start time.Time, totalBytes, totalChunks int64) Progress {
	p := Progress{
		Bytes: c.doneBytes.Load(), TotalBytes: totalBytes,
		Chunks: c.doneChunks.Load(), TotalChunks: totalChunks,
		Fetched: c.fetchedBytes.Load(), Elapsed: time.Since(start),
	}
	if s := p.Elapsed.Seconds(); s > 0 {
		p.Rate = float64(p.Bytes) / s
	}
	if p.Rate > 0 {
		p.ETA = time.Duration(float64(p.TotalBytes-p.Bytes) / p.Rate * float64(time.Second))
	}
	return p
}

// report calls fn every interval until stop is closed, then once more.
func (c *counters) report(fn func(Progress), interval time.Duration, start time.Time, totalBytes, totalChunks int64, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			fn(c.progress(start, totalBytes, totalChunks))
		case <-stop:
			fn(c.progress(start, totalBytes, totalChunks))
			return
		}
	}
}
