package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/google/uuid"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// PutCredential creates or replaces a credential. Only sealed is kept;
// c.Password is ignored and never stored.
func (s *Store) PutCredential(ctx context.Context, c api.Credential, sealed []byte) (api.Credential, error) {
	var out api.Credential
	err := s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO credentials (name, username, sealed, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET username = excluded.username, sealed = excluded.sealed`,
			c.Name, c.Username, base64.StdEncoding.EncodeToString(sealed), micros(s.stamp()))
		if err != nil {
			return fmt.Errorf("storing credential %s: %w", c.Name, err)
		}
		out, _, err = s.getCredential(ctx, tx, c.Name)
		return err
	})
	return out, err
}

// GetCredential returns the credential and its sealed secret.
func (s *Store) GetCredential(ctx context.Context, name string) (api.Credential, []byte, error) {
	return s.getCredential(ctx, s.read(), name)
}

func (s *Store) getCredential(ctx context.Context, c conn, name string) (api.Credential, []byte, error) {
	var cred api.Credential
	var sealed string
	var created int64
	err := c.row(ctx, "SELECT name, username, sealed, created_at FROM credentials WHERE name = ?", name).
		Scan(&cred.Name, &cred.Username, &sealed, &created)
	if err != nil {
		return api.Credential{}, nil, fmt.Errorf("getting credential %s: %w", name, notFound(err, "credential"))
	}
	cred.CreatedAt = fromMicros(created)
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return api.Credential{}, nil, fmt.Errorf("decoding sealed secret of credential %s: %w", name, err)
	}
	return cred, b, nil
}

// ListCredentials pages through credentials by name, without secrets.
func (s *Store) ListCredentials(ctx context.Context, opt store.ListOptions) (api.Page[api.Credential], error) {
	n := pageSize(opt.Limit)
	rows, err := s.read().query(ctx, "SELECT name, username, created_at FROM credentials WHERE name > ? ORDER BY name LIMIT ?",
		opt.Cursor, n+1)
	if err != nil {
		return api.Page[api.Credential]{}, fmt.Errorf("listing credentials: %w", err)
	}
	items, err := collect(rows, func(r scanner) (api.Credential, error) {
		var c api.Credential
		var created int64
		err := r.Scan(&c.Name, &c.Username, &created)
		c.CreatedAt = fromMicros(created)
		return c, err
	})
	if err != nil {
		return api.Page[api.Credential]{}, fmt.Errorf("listing credentials: %w", err)
	}
	return pageOf(items, n, func(c api.Credential) string { return c.Name }), nil
}

// DeleteCredential removes a credential.
func (s *Store) DeleteCredential(ctx context.Context, name string) error {
	res, err := conn{s, s.writer}.exec(ctx, "DELETE FROM credentials WHERE name = ?", name)
	if err != nil {
		return fmt.Errorf("deleting credential %s: %w", name, err)
	}
	return affected(res, "credential "+name)
}

const tokenCols = "id, name, scopes, host, expires_at, created_at"

func scanToken(r scanner) (api.Token, error) {
	var t api.Token
	var scopes string
	var expires, created int64
	if err := r.Scan(&t.ID, &t.Name, &scopes, &t.Host, &expires, &created); err != nil {
		return api.Token{}, err
	}
	t.ExpiresAt, t.CreatedAt = fromMicros(expires), fromMicros(created)
	return t, fromJSON(scopes, &t.Scopes)
}

// CreateToken stores a token under the hash of its secret. An empty ID gets
// a time-ordered random one. The secret itself is not stored.
func (s *Store) CreateToken(ctx context.Context, t api.Token, hash []byte) (api.Token, error) {
	if t.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return api.Token{}, fmt.Errorf("making token id: %w", err)
		}
		t.ID = id.String()
	}
	t.Secret = ""
	t.CreatedAt = s.stamp()
	t.ExpiresAt = fromMicros(micros(t.ExpiresAt))
	scopes, err := toJSON(t.Scopes)
	if err != nil {
		return api.Token{}, err
	}
	_, err = conn{s, s.writer}.exec(ctx, "INSERT INTO tokens ("+tokenCols+", hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.Name, scopes, t.Host, micros(t.ExpiresAt), micros(t.CreatedAt), hex.EncodeToString(hash))
	if isUnique(err) {
		return api.Token{}, conflict("id", "token %s or its secret already exists", t.ID)
	}
	if err != nil {
		return api.Token{}, fmt.Errorf("creating token %s: %w", t.Name, err)
	}
	return t, nil
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (api.Token, error) {
	t, err := scanToken(s.read().row(ctx, "SELECT "+tokenCols+" FROM tokens WHERE hash = ?", hex.EncodeToString(hash)))
	if err != nil {
		return api.Token{}, fmt.Errorf("looking up token: %w", notFound(err, "token"))
	}
	return t, nil
}

// ListTokens pages through tokens by ID.
func (s *Store) ListTokens(ctx context.Context, opt store.ListOptions) (api.Page[api.Token], error) {
	n := pageSize(opt.Limit)
	rows, err := s.read().query(ctx, "SELECT "+tokenCols+" FROM tokens WHERE id > ? ORDER BY id LIMIT ?", opt.Cursor, n+1)
	if err != nil {
		return api.Page[api.Token]{}, fmt.Errorf("listing tokens: %w", err)
	}
	items, err := collect(rows, scanToken)
	if err != nil {
		return api.Page[api.Token]{}, fmt.Errorf("listing tokens: %w", err)
	}
	return pageOf(items, n, func(t api.Token) string { return t.ID }), nil
}

// DeleteToken removes a token.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	res, err := conn{s, s.writer}.exec(ctx, "DELETE FROM tokens WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("deleting token %s: %w", id, err)
	}
	return affected(res, "token "+id)
}

// CountTokens returns how many tokens exist.
func (s *Store) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.read().row(ctx, "SELECT count(*) FROM tokens").Scan(&n); err != nil {
		return 0, fmt.Errorf("counting tokens: %w", err)
	}
	return n, nil
}
