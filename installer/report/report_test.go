package report

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestDoRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		wantCalls int32
		wantErr   bool
		wantFinal bool
	}{
		{name: "ok", statuses: []int{200}, wantCalls: 1},
		{name: "5xx then ok", statuses: []int{503, 500, 200}, wantCalls: 3},
		{name: "429 then ok", statuses: []int{429, 200}, wantCalls: 2},
		{name: "4xx is final", statuses: []int{403}, wantCalls: 1, wantErr: true, wantFinal: true},
		{name: "gives up", statuses: []int{500, 500, 500, 500}, wantCalls: 3, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if r.Header.Get("Authorization") != "Bearer tok" {
					t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
				}
				w.WriteHeader(tt.statuses[n-1])
				json.NewEncoder(w).Encode(map[string]string{"host": "web-1"})
			}))
			defer srv.Close()
			c := &Client{Base: srv.URL, Token: "tok", Retries: 2, Backoff: time.Millisecond}
			var out struct{ Host string }
			err := c.Do(context.Background(), http.MethodPost, "/v1/x", map[string]int{"a": 1}, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Do() error = %v, wantErr %v", err, tt.wantErr)
			}
			var se *StatusError
			if errors.As(err, &se) != tt.wantFinal {
				t.Errorf("Do() error %v: StatusError = %t, want %t", err, !tt.wantFinal, tt.wantFinal)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls.Load(), tt.wantCalls)
			}
			if err == nil && out.Host != "web-1" {
				t.Errorf("decoded %+v", out)
			}
		})
	}
}

func TestDoNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := &Client{Base: url, Retries: 1, Backoff: time.Millisecond}
	if err := c.Do(context.Background(), http.MethodGet, "/", nil, nil); err == nil {
		t.Fatal("Do() against a closed server succeeded")
	}
}

func TestSignal(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/deployments/dep-1/signals" || r.Method != http.MethodPost {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := &Client{Base: srv.URL}
	if err := c.Signal(context.Background(), "dep-1", "installer.progress", map[string]int64{"bytes": 5, "total": 10}); err != nil {
		t.Fatal(err)
	}
	if got["name"] != "installer.progress" || got["data"].(map[string]any)["total"] != float64(10) {
		t.Errorf("signal body = %v", got)
	}
}
