package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/store"
)

// Images signs and keeps image manifests (server/chunkstore.Service).
type Images interface {
	// Finalize checks m's chunks are stored, signs and stores m, and
	// returns the signed bytes and the image ID.
	Finalize(ctx context.Context, m manifest.Manifest) ([]byte, string, error)
	// Release drops the image's hold on its chunks (GC reclaims them).
	Release(ctx context.Context, id string) error
}

type imageCreateInput struct {
	Body struct {
		Manifest manifest.Manifest `json:"manifest" doc:"The unsigned manifest; every chunk it lists must be uploaded first (PUT /v1/chunks/{sha256})."`
	}
}

// createImage registers an image whose chunks were uploaded. Registering
// the same image twice answers with the existing record.
func (a *API) createImage(ctx context.Context, in *imageCreateInput) (*bodyOutput[api.Image], error) {
	if err := require(ctx, "admin"); err != nil {
		return nil, err
	}
	m := in.Body.Manifest
	if err := m.Validate(); err != nil {
		return nil, invalid("manifest is not valid", &huma.ErrorDetail{Location: "body.manifest", Message: err.Error()})
	}
	_, id, err := a.Images.Finalize(ctx, m)
	if errors.Is(err, chunkstore.ErrMissingChunks) {
		return nil, invalid("image "+m.Name+" is incomplete", &huma.ErrorDetail{Location: "body.manifest.payloads", Message: err.Error() + "; upload the missing chunks, then register again"})
	}
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	img := api.Image{ID: id, Name: m.Name, Arch: api.Arch(m.Arch), Firmware: api.Firmware(m.Firmware), OS: strings.TrimSpace(m.OS.ID + " " + m.OS.Version), Size: m.Size()}
	got, err := a.Store.CreateImage(ctx, img)
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		if got, err = a.Store.GetImage(ctx, id); err == nil {
			return &bodyOutput[api.Image]{got}, nil
		}
	}
	return &bodyOutput[api.Image]{got}, a.problem(ctx, err)
}

// Protect puts a plain handler (the chunk handler) behind the API's token
// check. need returns the scopes a request needs; nil means any valid token,
// and public reports requests that need no token at all.
func (a *API) Protect(h http.Handler, public func(*http.Request) bool, need func(*http.Request) []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public(r) {
			h.ServeHTTP(w, r)
			return
		}
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		t, err := a.tokens.get(r.Context(), hashOf(secret))
		if !ok || err != nil || (!t.ExpiresAt.IsZero() && a.Now().After(t.ExpiresAt)) {
			writeProblem(w, http.StatusUnauthorized, "missing, unknown or expired bearer token")
			return
		}
		if missing := missingScopes(t.Scopes, need(r)); len(missing) > 0 {
			writeProblem(w, http.StatusForbidden, fmt.Sprintf("token %q lacks scope %s", t.Name, strings.Join(missing, ", ")))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"title":%q,"status":%d,"detail":%q}`, http.StatusText(status), status, detail)
}
