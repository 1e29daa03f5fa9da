package stream

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// chunkServer serves an image directory the way the Ingot server does,
// injecting the fault that fault(attempt) names on each chunk request.
type chunkServer struct {
	dir   string
	fault func(attempt int) string // "", "503", "truncate", "stall"
	mu    sync.Mutex
	tries map[string]int
	done  map[string]int // complete 200 responses per chunk
}

func (s *chunkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/images/"), "/manifest"); ok {
		http.ServeFile(w, r, filepath.Join(s.dir, "manifests", strings.TrimPrefix(id, "sha256:")))
		return
	}
	hex := strings.TrimPrefix(r.URL.Path, "/v1/chunks/")
	frame, err := os.ReadFile(filepath.Join(s.dir, "chunks", hex[:2], hex))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.tries[hex]++
	fault := ""
	if s.fault != nil {
		fault = s.fault(s.tries[hex])
	}
	s.mu.Unlock()
	w.Header().Set("Content-Length", strconv.Itoa(len(frame)))
	switch fault {
	case "503":
		http.Error(w, "busy", http.StatusServiceUnavailable)
	case "truncate":
		w.Write(frame[:len(frame)/2])
		panic(http.ErrAbortHandler)
	case "stall":
		w.Write(frame[:10])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	default:
		if _, err := w.Write(frame); err == nil {
			s.mu.Lock()
			s.done[hex]++
			s.mu.Unlock()
		}
	}
}

func newChunkServer(dir string, fault func(int) string) *chunkServer {
	return &chunkServer{dir: dir, fault: fault, tries: map[string]int{}, done: map[string]int{}}
}

func TestHTTPFaults(t *testing.T) {
	data := shapeB(1<<20, 12)
	img := buildImage(t, data, 64<<10) // 16 chunks
	firstFails := func(kind string) func(int) string {
		return func(n int) string {
			if n == 1 {
				return kind
			}
			return ""
		}
	}
	always := func(kind string) func(int) string { return func(int) string { return kind } }
	tests := []struct {
		name     string
		fault    func(int) string
		wantErr  string
		attempts int64
	}{
		{"5xx once", firstFails("503"), "", 32},
		{"truncated once", firstFails("truncate"), "", 32},
		{"stalled once", firstFails("stall"), "", 32},
		{"always 5xx", always("503"), "503 Service Unavailable", 0},
		{"always truncated", always("truncate"), "unexpected EOF", 0},
		{"always stalled", always("stall"), "no data for 1s", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &http.Server{Handler: newChunkServer(img.dir, tt.fault)}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(l)
			defer srv.Close()
			// A short stall limit only where a stall is the fault: on a
			// loaded machine a slow answer must not count as an attempt.
			stall := 30 * time.Second
			if strings.Contains(tt.name, "stalled") {
				stall = time.Second
			}
			src := &HTTP{Base: "http://" + l.Addr().String(), Stall: stall}
			target := filepath.Join(t.TempDir(), "disk.img")
			opts := Options{Concurrency: 4, Retries: 2, Backoff: time.Millisecond}
			res, err := WriteImage(context.Background(), src, img.id, img.pub, "", target, opts)
			if tt.wantErr != "" {
				var ce *ChunkError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "giving up after 3 attempts") || !errors.As(err, &ce) {
					t.Fatalf("err = %v; want a ChunkError giving up after 3 attempts with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.FetchAttempts != tt.attempts || res.ChunksFetched != 16 {
				t.Errorf("attempts %d, fetched %d; want %d and 16", res.FetchAttempts, res.ChunksFetched, tt.attempts)
			}
			if !bytes.Equal(readFile(t, target), data) {
				t.Error("target differs from the image")
			}
		})
	}
}

// TestServerRestartMidWrite kills the server (listener and every open
// connection) after a few chunks, restarts it on the same address, and
// checks that the writer finishes without fetching any chunk twice.
func TestServerRestartMidWrite(t *testing.T) {
	data := shapeB(4<<20, 13)
	img := buildImage(t, data, 64<<10) // 64 chunks
	cs := newChunkServer(img.dir, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	first := &http.Server{Handler: cs}
	go first.Serve(l)
	killed := make(chan struct{})
	var kill sync.Once
	cs.fault = func(int) string {
		if len(cs.done) >= 10 { // called with cs.mu held
			kill.Do(func() { go func() { first.Close(); close(killed) }() })
		}
		return ""
	}
	var second *http.Server
	restarted := make(chan struct{})
	go func() {
		<-killed
		time.Sleep(300 * time.Millisecond)
		l2, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			close(restarted)
			return
		}
		second = &http.Server{Handler: cs}
		close(restarted)
		second.Serve(l2)
	}()
	defer func() { <-restarted; second.Close() }()
	src := &HTTP{Base: "http://" + addr, Stall: time.Second}
	opts := Options{Concurrency: 4, Retries: 8, Backoff: 50 * time.Millisecond}
	target := filepath.Join(t.TempDir(), "disk.img")
	res, err := WriteImage(context.Background(), src, img.id, img.pub, "", target, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, target), data) {
		t.Fatal("target differs from the image")
	}
	if res.ChunksFetched != 64 || res.FetchAttempts <= 64 {
		t.Errorf("fetched %d chunks in %d attempts; want 64 chunks and some failed attempts", res.ChunksFetched, res.FetchAttempts)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for hex, n := range cs.done {
		if n != 1 {
			t.Errorf("chunk %s served completely %d times, want once", hex, n)
		}
	}
	if len(cs.done) != 64 {
		t.Errorf("%d chunks served completely, want 64", len(cs.done))
	}
}
