package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/auth"
)

type principalKey struct{}

// Principal is the authenticated caller.
type Principal struct {
	TokenID string
	Name    string
	Scopes  []string
	Host    string // set on installer tokens
}

func principal(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

// authenticate resolves the bearer token; every /v1 operation needs one.
func (a *API) authenticate(ctx huma.Context, next func(huma.Context)) {
	if public, _ := ctx.Operation().Metadata["public"].(bool); public {
		next(ctx)
		return
	}
	h := ctx.Header("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		a.writeErr(ctx, huma.Error401Unauthorized("missing bearer token: send 'Authorization: Bearer <token>' (ingot serve prints the first admin token)"))
		return
	}
	t, err := a.tokens.get(ctx.Context(), hashOf(secret))
	if err != nil {
		a.writeErr(ctx, huma.Error401Unauthorized("unknown or revoked token"))
		return
	}
	if !t.ExpiresAt.IsZero() && a.Now().After(t.ExpiresAt) {
		a.writeErr(ctx, huma.Error401Unauthorized(fmt.Sprintf("token %q expired at %s", t.Name, t.ExpiresAt.Format("2006-01-02 15:04:05Z07:00"))))
		return
	}
	p := Principal{TokenID: t.ID, Name: t.Name, Scopes: t.Scopes, Host: t.Host}
	next(huma.WithValue(ctx, principalKey{}, p))
}

func (a *API) writeErr(ctx huma.Context, err huma.StatusError) {
	_ = huma.WriteErr(a.huma, ctx, err.GetStatus(), err.Error(), errorDetails(err)...)
}

func errorDetails(err huma.StatusError) []error {
	em, ok := err.(*huma.ErrorModel)
	if !ok {
		return nil
	}
	out := make([]error, len(em.Errors))
	for i, d := range em.Errors {
		out[i] = d
	}
	return out
}

// require answers 403 unless the caller holds every scope in need.
func require(ctx context.Context, need ...string) error {
	p := principal(ctx)
	missing := auth.Missing(p.Scopes, need...)
	if len(missing) == 0 {
		return nil
	}
	details := make([]error, len(missing))
	for i, m := range missing {
		details[i] = &huma.ErrorDetail{Location: "scope", Message: "missing scope " + m, Value: m}
	}
	return huma.Error403Forbidden(fmt.Sprintf("token %q lacks scope %s; ask an admin for a token that has it", p.Name, strings.Join(missing, ", ")), details...)
}

// requireReader admits any API token; installer tokens only reach installer
// endpoints.
func requireReader(ctx context.Context) error {
	p := principal(ctx)
	for _, s := range p.Scopes {
		if !strings.HasPrefix(s, "installer:") {
			return nil
		}
	}
	return huma.Error403Forbidden(fmt.Sprintf("token %q is an installer token and may only use installer endpoints", p.Name))
}

func installerScope(id api.DeploymentID) string { return "installer:" + string(id) }

func hashOf(secret string) []byte { return auth.Hash(secret) }

func missingScopes(granted, need []string) []string { return auth.Missing(granted, need...) }
