// Package httpapi serves Ingot's /v1 REST API (OpenAPI 3.1 through huma on a
// net/http ServeMux): authentication, scopes, audit, validation and the
// mapping of domain errors to application/problem+json.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/store"
)

// Planner turns a host into a planned deployment.
type Planner interface {
	Plan(ctx context.Context, host string, opts planner.Options) (api.Deployment, error)
}

// Waker is told that new work or a signal is waiting (the engine).
type Waker interface{ Wake() }

// Deps is what the API needs.
type Deps struct {
	Store    store.Store
	Box      *secret.Box
	Planner  Planner
	Engine   Waker
	Images   Images
	Rollouts Rollouts
	// BMC talks to BMCs (probe, inventory); nil answers the BMC routes
	// with 501.
	BMC    BMCs
	Media  Media  // nil: POST /v1/hosts/{name}/media answers 501
	Builds Builds // nil: the server runs no builds
	// SetChecker checks image sets on demand; nil: POST
	// /v1/imagesets/{name}/check answers 501.
	SetChecker SetChecker
	HostImages HostImages // nil: no host images
	Log        *slog.Logger
	Now        func() time.Time
	Version    string
	// DefaultTimeout is a deployment's deadline when the request sets none.
	DefaultTimeout time.Duration
	// PublicURL is the base URL installers and booting machines reach the
	// server at (chunks, plans, boot files).
	PublicURL string
	// SigningKey is the PEM public key image manifests are signed with.
	SigningKey []byte
	// Kits signs site kits; nil answers the kit routes with 501.
	Kits Kits
	// InstallerSecret is the installer token secret of a deployment, handed
	// in the discovery reply to the host's booted medium (as netboot puts
	// it on the kernel command line); nil: discovery only says "install"
	// and the machine reboots to PXE.
	InstallerSecret func(api.DeploymentID) string
}

// API is the registered /v1 API.
type API struct {
	Deps
	huma     huma.API
	tokens   *tokenCache
	auditLog *auditBatcher
}

// New registers the API on mux and returns it.
func New(mux *http.ServeMux, d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.DefaultTimeout == 0 {
		d.DefaultTimeout = 2 * time.Hour
	}
	huma.ValidateStrictCasing = true // unknown fields are refused, whatever their case
	cfg := huma.DefaultConfig("Ingot", d.Version)
	cfg.Info.Description = "Ingot casts OS images once and pours them onto metal."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer"},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	registerSchemas(cfg.Components.Schemas)
	a := &API{Deps: d, huma: humago.New(mux, cfg)}
	a.auditLog = &auditBatcher{write: d.Store.AppendAudit}
	a.tokens = &tokenCache{entries: map[string]cachedToken{}, lookup: d.Store.TokenByHash, now: d.Now}
	a.huma.UseMiddleware(a.authenticate, a.audit)
	a.registerImages()
	a.registerImageSets()
	a.registerHostgroups()
	a.registerHosts()
	a.registerDeployments()
	a.registerAdmin()
	a.registerInstaller()
	a.registerRecovery()
	a.registerDiscovery()
	a.registerRollouts()
	a.registerBMC()
	a.registerMedia()
	a.registerBuilds()
	a.registerHostImages()
	a.registerKits()
	return a
}

// OpenAPI returns the generated document.
func (a *API) OpenAPI() *huma.OpenAPI { return a.huma.OpenAPI() }

// problem maps domain errors to problem details; other errors become 500s
// with the cause logged and a generic message returned.
func (a *API) problem(ctx context.Context, err error) error {
	var se huma.StatusError
	var ce *store.ConflictError
	var pe *planner.PlanError
	var be *BMCError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound(err.Error())
	case errors.As(err, &ce):
		return huma.Error409Conflict(ce.Message, &huma.ErrorDetail{Location: "body." + ce.Field, Message: ce.Message})
	case errors.As(err, &pe):
		return huma.Error422UnprocessableEntity(pe.Message, &huma.ErrorDetail{Location: pe.Field, Message: pe.Message})
	case errors.As(err, &be):
		return huma.Error502BadGateway(be.Error() + "; check the BMC (reachable, healthy, credential right), then try again")
	case errors.Is(err, context.Canceled):
		return huma.NewError(499, "request cancelled")
	}
	a.Log.ErrorContext(ctx, "internal error", "err", err)
	return huma.Error500InternalServerError("internal error; the server log has the cause")
}

// invalid is a 422 naming every bad field.
func invalid(msg string, details ...*huma.ErrorDetail) error {
	errs := make([]error, len(details))
	for i, d := range details {
		errs[i] = d
	}
	return huma.Error422UnprocessableEntity(msg, errs...)
}
