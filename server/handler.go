package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/store"
)

// newHandler serves the API, the chunk store, health checks and metrics on
// one mux.
func newHandler(st store.Store, deps httpapi.Deps, mounts map[string]http.Handler) http.Handler {
	mux := http.NewServeMux()
	a := httpapi.New(mux, deps)
	// Chunks are content-addressed: knowing a digest takes a manifest, and
	// manifests need a token, so chunk reads are public (and cacheable by
	// any HTTP cache). Uploads need admin.
	protected := a.Protect(mounts["/v1/chunks/"], func(r *http.Request) bool {
		return r.Method != http.MethodPut && (strings.HasPrefix(r.URL.Path, "/v1/chunks/") || r.URL.Path == "/v1/signing-key")
	}, func(r *http.Request) []string {
		if r.Method == http.MethodPut {
			return []string{"admin"}
		}
		return nil
	})
	mux.Handle("/v1/chunks/", protected)
	mux.Handle("GET /v1/images/{id}/manifest", protected)
	mux.Handle("GET /v1/signing-key", protected)
	if boot := mounts["/boot/"]; boot != nil {
		mux.Handle("/boot/", boot) // machines booting have no token; the scripts carry per-deployment ones
	}
	if media := mounts["/media/"]; media != nil {
		mux.Handle("/media/", media) // one-time URLs: the unguessable path is the credential
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ingot_http_requests_total", Help: "HTTP requests by route and status."}, []string{"method", "route", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ingot_http_request_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"method", "route"})
	reg.MustRegister(requests, latency)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := st.Ping(r.Context()); err != nil {
			http.Error(w, "state store unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(sw, r)
		_, route := mux.Handler(r)
		requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Inc()
		latency.WithLabelValues(r.Method, route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code; it passes Flush through so
// server-sent events stream.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
