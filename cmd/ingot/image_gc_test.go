package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestImageGCCommand(t *testing.T) {
	var got imageGCRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/images/gc" {
			http.NotFound(w, r)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(imageGCResult{DryRun: got.DryRun, Chunks: 3, Bytes: 3 << 20, Kept: 7})
	}))
	defer srv.Close()
	var out bytes.Buffer
	app := &App{Out: &out, Err: &out, Server: srv.URL, Token: "t", Output: "table"}
	cmd := newImageGCCommand(app)
	cmd.SetArgs([]string{"--dry-run", "--grace", "30m"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(imageGCRequest{DryRun: true, Grace: "30m0s"}, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if want := "would reclaim 3 chunks, 3145728 bytes (3.0 MiB); 7 kept\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
}
