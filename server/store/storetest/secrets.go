package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testCredentials(t *testing.T, s store.Store) {
	ctx := context.Background()
	sealed := []byte{0, 1, 2, 0xff, 'x'}
	got := must(s.PutCredential(ctx, api.Credential{Name: "ipmi", Username: "admin", Password: "hunter2"}, sealed))(t)
	want := api.Credential{Name: "ipmi", Username: "admin", CreatedAt: got.CreatedAt}
	diff(t, "PutCredential", want, got)
	c, b, err := s.GetCredential(ctx, "ipmi")
	check(t, err)
	diff(t, "GetCredential", want, c)
	if !bytes.Equal(b, sealed) {
		t.Errorf("sealed = %x, want %x", b, sealed)
	}

	// Put replaces the secret and keeps the creation time.
	got = must(s.PutCredential(ctx, api.Credential{Name: "ipmi", Username: "root", Password: "x"}, []byte("new")))(t)
	want.Username = "root"
	diff(t, "PutCredential again", want, got)
	_, b, err = s.GetCredential(ctx, "ipmi")
	check(t, err)
	if string(b) != "new" {
		t.Errorf("sealed after replace = %q, want new", b)
	}

	names := []string{"ipmi"}
	for i := range 3 {
		names = append(names, must(s.PutCredential(ctx, api.Credential{Name: fmt.Sprintf("z%d", i)}, nil))(t).Name)
	}
	var listed []string
	for _, c := range walk(t, 2, func(o store.ListOptions) (api.Page[api.Credential], error) { return s.ListCredentials(ctx, o) }) {
		if c.Password != "" {
			t.Errorf("listed credential %s has a password", c.Name)
		}
		listed = append(listed, c.Name)
	}
	diff(t, "ListCredentials", names, listed)

	check(t, s.DeleteCredential(ctx, "ipmi"))
	wantNotFound(t, s.DeleteCredential(ctx, "ipmi"))
	_, _, err = s.GetCredential(ctx, "ipmi")
	wantNotFound(t, err)
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n := must(s.CountTokens(ctx))(t); n != 0 {
		t.Fatalf("CountTokens on empty store = %d", n)
	}
	expires := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	tok := api.Token{ID: "t1", Name: "admin", Scopes: []string{"admin", "imageset:deploy:x"}, Host: "node1",
		ExpiresAt: expires, Secret: "s3cret"}
	got := must(s.CreateToken(ctx, tok, []byte("hash-1")))(t)
	tok.Secret, tok.CreatedAt = "", got.CreatedAt
	diff(t, "CreateToken", tok, got)
	diff(t, "TokenByHash", tok, must(s.TokenByHash(ctx, []byte("hash-1")))(t))
	_, err := s.TokenByHash(ctx, []byte("hash-2"))
	wantNotFound(t, err)
	_, err = s.CreateToken(ctx, api.Token{ID: "t2", Name: "dup", Scopes: []string{"x"}}, []byte("hash-1"))
	if err == nil {
		t.Errorf("CreateToken with a used hash succeeded")
	}

	generated := must(s.CreateToken(ctx, api.Token{Name: "gen", Scopes: []string{"read"}}, []byte("hash-3")))(t)
	if generated.ID == "" {
		t.Errorf("CreateToken did not assign an ID")
	}
	for i := range 3 {
		must(s.CreateToken(ctx, api.Token{ID: fmt.Sprintf("t%d", i+5), Name: "n", Scopes: []string{"x"}}, []byte{byte(i)}))(t)
	}
	if n := must(s.CountTokens(ctx))(t); n != 5 {
		t.Errorf("CountTokens = %d, want 5", n)
	}
	listed := walk(t, 2, func(o store.ListOptions) (api.Page[api.Token], error) { return s.ListTokens(ctx, o) })
	if len(listed) != 5 {
		t.Errorf("ListTokens walked %d tokens, want 5", len(listed))
	}
	for i := 1; i < len(listed); i++ {
		if listed[i-1].ID >= listed[i].ID {
			t.Errorf("tokens not in ID order: %s then %s", listed[i-1].ID, listed[i].ID)
		}
	}
	check(t, s.DeleteToken(ctx, "t1"))
	wantNotFound(t, s.DeleteToken(ctx, "t1"))
	_, err = s.TokenByHash(ctx, []byte("hash-1"))
	wantNotFound(t, err)
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var want []api.AuditEntry
	for i := range 7 {
		e := api.AuditEntry{Time: base.Add(time.Duration(i) * time.Minute), Actor: "admin", Method: "POST",
			Path: fmt.Sprintf("/v1/hosts/%d", i), Status: 201, Resource: "host"}
		check(t, s.AppendAudit(ctx, e))
		want = append([]api.AuditEntry{e}, want...)
	}
	got := walk(t, 3, func(o store.ListOptions) (api.Page[api.AuditEntry], error) { return s.ListAudit(ctx, o) })
	for i := range got {
		if i > 0 && got[i].Seq >= got[i-1].Seq {
			t.Errorf("audit seq not descending: %d after %d", got[i].Seq, got[i-1].Seq)
		}
		if i < len(want) {
			want[i].Seq = got[i].Seq
		}
	}
	diff(t, "ListAudit", want, got)
}
