package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/auth"
)

type tokenIDInput struct {
	ID string `path:"id" maxLength:"80"`
}

func (a *API) registerAdmin() {
	huma.Register(a.huma, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/v1/tokens", Tags: []string{"admin"},
		DefaultStatus: http.StatusCreated, Summary: "Create an API token; the secret is shown once"},
		a.createToken)
	huma.Register(a.huma, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/v1/tokens", Tags: []string{"admin"}},
		func(ctx context.Context, in *ListInput) (*pageOutput[api.Token], error) {
			if err := require(ctx, "admin"); err != nil {
				return nil, err
			}
			p, err := a.Store.ListTokens(ctx, in.options())
			return &pageOutput[api.Token]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "delete-token", Method: http.MethodDelete, Path: "/v1/tokens/{id}", Tags: []string{"admin"},
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *tokenIDInput) (*struct{}, error) {
			if err := require(ctx, "admin"); err != nil {
				return nil, err
			}
			err := a.Store.DeleteToken(ctx, in.ID)
			a.tokens.forget(in.ID)
			return nil, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "put-credential", Method: http.MethodPut, Path: "/v1/credentials/{name}", Tags: []string{"admin"},
		Summary: "Store a BMC credential; the password is encrypted at rest and never returned"},
		a.putCredential)
	huma.Register(a.huma, huma.Operation{OperationID: "list-credentials", Method: http.MethodGet, Path: "/v1/credentials", Tags: []string{"admin"}},
		func(ctx context.Context, in *ListInput) (*pageOutput[api.Credential], error) {
			if err := require(ctx, "admin"); err != nil {
				return nil, err
			}
			p, err := a.Store.ListCredentials(ctx, in.options())
			return &pageOutput[api.Credential]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "delete-credential", Method: http.MethodDelete, Path: "/v1/credentials/{name}", Tags: []string{"admin"},
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *nameInput) (*struct{}, error) {
			if err := require(ctx, "admin"); err != nil {
				return nil, err
			}
			return nil, a.problem(ctx, a.Store.DeleteCredential(ctx, in.Name))
		})
	huma.Register(a.huma, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/v1/audit", Tags: []string{"admin"}},
		func(ctx context.Context, in *ListInput) (*pageOutput[api.AuditEntry], error) {
			if err := require(ctx, "admin"); err != nil {
				return nil, err
			}
			p, err := a.Store.ListAudit(ctx, in.options())
			return &pageOutput[api.AuditEntry]{p}, a.problem(ctx, err)
		})
}

func (a *API) createToken(ctx context.Context, in *bodyInput[api.Token]) (*bodyOutput[api.Token], error) {
	if err := require(ctx, "admin"); err != nil {
		return nil, err
	}
	var details []*huma.ErrorDetail
	for i, s := range in.Body.Scopes {
		if err := auth.ValidScope(s); err != nil {
			details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf("body.scopes[%d]", i), Message: err.Error(), Value: s})
		} else if len(s) > len("installer:") && s[:len("installer:")] == "installer:" {
			details = append(details, &huma.ErrorDetail{Location: fmt.Sprintf("body.scopes[%d]", i), Message: "installer scopes are issued by deployments only", Value: s})
		}
	}
	if !in.Body.ExpiresAt.IsZero() && !in.Body.ExpiresAt.After(a.Now()) {
		details = append(details, &huma.ErrorDetail{Location: "body.expires_at", Message: "is in the past"})
	}
	if len(details) > 0 {
		return nil, invalid("token "+in.Body.Name+" is not valid", details...)
	}
	secret, hash := auth.NewSecret()
	t := api.Token{Name: in.Body.Name, Scopes: in.Body.Scopes, ExpiresAt: in.Body.ExpiresAt}
	t, err := a.Store.CreateToken(ctx, t, hash)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	t.Secret = secret
	return &bodyOutput[api.Token]{t}, nil
}

func (a *API) putCredential(ctx context.Context, in *namedBodyInput[api.Credential]) (*bodyOutput[api.Credential], error) {
	if err := require(ctx, "admin"); err != nil {
		return nil, err
	}
	if err := sameName(in.Name, in.Body.Name); err != nil {
		return nil, err
	}
	if in.Body.Password == "" {
		return nil, invalid("credential needs a password", &huma.ErrorDetail{Location: "body.password", Message: "is required"})
	}
	sealed, err := a.Box.Seal([]byte(in.Body.Password), []byte("credential:"+in.Name))
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	c := in.Body
	c.Password = ""
	c, err = a.Store.PutCredential(ctx, c, sealed)
	return &bodyOutput[api.Credential]{c}, a.problem(ctx, err)
}
