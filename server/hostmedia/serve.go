package hostmedia

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// recheck is how often a served URL re-reads its deployment: a BMC reading
// with many Range requests does not cost a store read each.
const recheck = 5 * time.Second

// ServeHTTP serves GET and HEAD /media/{id}/ingot.iso, Range requests
// included, under the one-time rules of the package doc.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		problem(w, http.StatusMethodNotAllowed, "only GET and HEAD")
		return
	}
	id, name, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/media/"), "/")
	if !ok || name != FileName {
		problem(w, http.StatusNotFound, "no such medium")
		return
	}
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	iso, status, msg := s.admit(r, id, client)
	if status != 0 {
		problem(w, status, msg)
		return
	}
	f, err := os.Open(iso)
	if err != nil {
		problem(w, http.StatusGone, "this medium was revoked: mint a new URL")
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		problem(w, http.StatusInternalServerError, "reading the medium failed")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, FileName, fi.ModTime(), f)
}

// admit applies the one-time rules and returns the ISO to serve, or a
// status and message to refuse with.
func (s *Service) admit(r *http.Request, id, client string) (string, int, string) {
	now := s.cfg.Now()
	s.mu.Lock()
	t := s.tickets[id]
	if t == nil {
		s.mu.Unlock()
		return "", http.StatusNotFound, "no such medium: one-time URLs end when they expire, are revoked or the deployment moves on; mint a new one"
	}
	if now.After(t.expires) {
		delete(s.tickets, id)
		s.mu.Unlock()
		return "", http.StatusGone, fmt.Sprintf("this one-time URL of deployment %s expired at %s: mint a new one", t.dep, t.expires.UTC().Format(time.RFC3339))
	}
	if t.client == "" {
		t.client = client
	}
	if t.client != client {
		bound, dep := t.client, t.dep
		s.mu.Unlock()
		s.cfg.Log.WarnContext(r.Context(), "one-time media URL refused to a second client", "deployment", dep, "client", client, "bound_to", bound)
		return "", http.StatusGone, fmt.Sprintf("this one-time URL of deployment %s was already used by another client: mint a new one", dep)
	}
	iso, dep, fresh := t.iso, t.dep, now.Sub(t.checked) < recheck
	s.mu.Unlock()
	if fresh {
		return iso, 0, ""
	}
	d, err := s.cfg.Store.GetDeployment(r.Context(), dep)
	if err != nil || !waiting(d) {
		s.Revoke(dep)
		return "", http.StatusGone, fmt.Sprintf("deployment %s no longer waits for its installer: this medium is void", dep)
	}
	s.mu.Lock()
	t.checked = now
	s.mu.Unlock()
	return iso, 0, ""
}

// problem writes an RFC 9457 problem document.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
}
