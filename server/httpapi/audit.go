package httpapi

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
)

// audit records every mutating call after it ran, with its outcome.
func (a *API) audit(ctx huma.Context, next func(huma.Context)) {
	next(ctx)
	switch ctx.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return
	}
	p := principal(ctx.Context())
	e := api.AuditEntry{
		Time:     a.Now().UTC(),
		Actor:    p.Name,
		Method:   ctx.Method(),
		Path:     ctx.URL().Path,
		Status:   ctx.Status(),
		Resource: ctx.Operation().OperationID,
	}
	if err := a.Store.AppendAudit(ctx.Context(), e); err != nil {
		a.Log.ErrorContext(ctx.Context(), "audit log write failed", "err", err, "path", e.Path)
	}
}
