package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/auth"
	"ingot.dev/ingot/server/store/sqlstore"
)

// TestIssueInstallerAgain: issuing a deployment's installer token again
// (its step re-run after a restart) keeps a token with most of its life
// left, so it is never missing for an installer already using it; a token
// past half its life is replaced with a fresh expiry.
func TestIssueInstallerAgain(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	der, err := auth.NewDeriver(make([]byte, auth.DeriverKeySize))
	if err != nil {
		t.Fatal(err)
	}
	tokens := &installerTokens{store: st, deriver: der}
	d := api.Deployment{ID: "dep_1", Host: "web-1"}
	hash := auth.Hash(der.InstallerSecret(d.ID))
	lookup := func() api.Token {
		t.Helper()
		tok, err := st.TokenByHash(ctx, hash)
		if err != nil {
			t.Fatalf("the installer token is not there: %v", err)
		}
		return tok
	}

	if err := tokens.IssueInstaller(ctx, d, time.Hour); err != nil {
		t.Fatal(err)
	}
	first := lookup()
	// 90 minutes asked, an hour left (more than half): kept as it is.
	if err := tokens.IssueInstaller(ctx, d, 90*time.Minute); err != nil {
		t.Fatal(err)
	}
	if again := lookup(); !again.ExpiresAt.Equal(first.ExpiresAt) {
		t.Errorf("issued again with most of its life left: %+v, want the same token as %+v", again, first)
	}

	// Asked for a lifetime more than twice what is left: replaced.
	if err := tokens.IssueInstaller(ctx, d, 3*time.Hour); err != nil {
		t.Fatal(err)
	}
	if renewed := lookup(); !renewed.ExpiresAt.After(first.ExpiresAt.Add(time.Hour)) {
		t.Errorf("renewed token expires %v, want about 3h from now (first %v)", renewed.ExpiresAt, first.ExpiresAt)
	}
}
