package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/auth"
	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/store/sqlstore"
)

// FuzzRequestDecoding sends arbitrary bodies to the routes that decode
// outside input. Whatever the body, the answer is never a 5xx, and every
// error is application/problem+json.
func FuzzRequestDecoding(f *testing.F) {
	seeds := []string{
		`{"name":"web-2","hostgroup":"web","macs":["52:54:00:00:00:02"],"values":{"hostname":"web-2"}}`,
		`{"name":"web-2","hostgroup":"web","macs":["52:54:00:00:00:01"]}`,
		`{"name":"x","macs":[],"values":{"addresses":[{"address":"10.0.0.1/24","gateway":"10.0.0.1"}]}}`,
		`{"name":"x","macs":[],"values":{"files":[{"path":"/etc/../x","content":"a"}]}}`,
		`{"hosts":["web-1"],"dry_run":true}`,
		`{"hosts":[],"timeout":"-5m"}`,
		`{"name":"g","image_set":"base","template":{"hostname":{"allowed":true,"pattern":"(a"}}}`,
		`{"name":"s","variants":[{"arch":"amd64","firmware":"uefi","image":"sha256:00"}]}`,
		`{"name":"n","scopes":["hostgroup:deploy:[", "admin"]}`,
		`[1,2,3]`, `null`, `"`, `{"name":1e400}`, "\x00\xff",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	h, secret := fuzzAPI(f)
	paths := []string{"/v1/hosts", "/v1/deployments", "/v1/hostgroups", "/v1/imagesets", "/v1/tokens", "/v1/images"}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		req := httptest.NewRequest(http.MethodPost, paths[int(route)%len(paths)], strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("status %d with content type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}

// fuzzAPI is the API on a real SQLite store with fixtures, as a handler.
func fuzzAPI(f *testing.F) (http.Handler, string) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(f.TempDir(), "ingot.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	box, _ := secret.New(make([]byte, 32))
	mux := http.NewServeMux()
	httpapi.New(mux, httpapi.Deps{Store: st, Box: box, Planner: planner.New(st), Engine: nopWaker{}, Images: newImages(f),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	sec, hash := auth.NewSecret()
	if _, err := st.CreateToken(ctx, api.Token{Name: "fuzz", Scopes: []string{"admin"}}, hash); err != nil {
		f.Fatal(err)
	}
	img := api.Image{ID: imgA, Name: "d", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}
	if _, err := st.CreateImage(ctx, img); err != nil {
		f.Fatal(err)
	}
	if _, err := st.CreateImageSet(ctx, api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: img.Arch, Firmware: img.Firmware, Image: imgA}}}); err != nil {
		f.Fatal(err)
	}
	if _, err := st.CreateHostgroup(ctx, api.Hostgroup{Name: "web", ImageSet: "base", Template: api.Template{Hostname: api.StringRule{Allowed: true}, Addresses: api.AddressRule{Allowed: true}, Files: api.FileRule{Allowed: true}}}); err != nil {
		f.Fatal(err)
	}
	if _, err := st.CreateHost(ctx, api.Host{Name: "web-1", Hostgroup: "web", MACs: []api.MAC{mac("52:54:00:00:00:01")}}); err != nil {
		f.Fatal(err)
	}
	return mux, sec
}
