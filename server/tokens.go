package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/auth"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
)

// installerTokens issues the per-deployment installer tokens. The secret is
// derived from the deployment ID with a server key, so it can be put on a
// boot command line later without being stored; only its hash is kept.
type installerTokens struct {
	store   store.Store
	deriver *auth.Deriver
}

var _ steps.Tokens = (*installerTokens)(nil)

func installerTokenID(id api.DeploymentID) string { return "inst_" + string(id) }

// IssueInstaller makes the deployment's installer token. The secret is
// derived from the deployment, so issuing again (the step re-run after a
// server restart) yields the same one: while the stored token still has at
// least half its lifetime left it is kept as it is, so an installer already
// using it is never refused (deleting and re-creating it would leave a
// moment with no token). Otherwise it is replaced with a fresh expiry.
func (t *installerTokens) IssueInstaller(ctx context.Context, d api.Deployment, ttl time.Duration) error {
	hash := auth.Hash(t.deriver.InstallerSecret(d.ID))
	cur, err := t.store.TokenByHash(ctx, hash)
	if err == nil && cur.ID == installerTokenID(d.ID) && time.Until(cur.ExpiresAt) > ttl/2 {
		return nil
	}
	if err := t.RevokeInstaller(ctx, d.ID); err != nil {
		return err
	}
	tok := api.Token{
		ID:        installerTokenID(d.ID),
		Name:      "installer:" + string(d.ID),
		Scopes:    []string{auth.InstallerScope(d.ID)},
		Host:      d.Host,
		ExpiresAt: time.Now().Add(ttl).UTC(),
	}
	if _, err := t.store.CreateToken(ctx, tok, hash); err != nil {
		return fmt.Errorf("issuing installer token for %s: %w", d.ID, err)
	}
	return nil
}

func (t *installerTokens) RevokeInstaller(ctx context.Context, id api.DeploymentID) error {
	err := t.store.DeleteToken(ctx, installerTokenID(id))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("revoking installer token of %s: %w", id, err)
	}
	return nil
}
