package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
)

type auditKey struct{}

// auditNote lets a handler tell the audit middleware its call changed
// nothing (a dry run), so it takes no write in the audit log.
type auditNote struct{ readOnly bool }

// readOnlyCall marks the current call as changing nothing.
func readOnlyCall(ctx context.Context) {
	if n, ok := ctx.Value(auditKey{}).(*auditNote); ok {
		n.readOnly = true
	}
}

// audit records every mutating call after it ran, with its outcome, and
// every read of a recovery key.
func (a *API) audit(ctx huma.Context, next func(huma.Context)) {
	switch ctx.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		if ctx.Operation().OperationID != opReadRecoveryKeys {
			next(ctx)
			return
		}
	}
	note := &auditNote{}
	ctx = huma.WithValue(ctx, auditKey{}, note)
	next(ctx)
	if note.readOnly {
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
	if err := a.auditLog.append(ctx.Context(), e); err != nil {
		a.Log.ErrorContext(ctx.Context(), "audit log write failed", "err", err, "path", e.Path)
	}
}
