package sqlstore

import (
	"context"
	"fmt"

	"ingot.dev/ingot/api"
)

// PutHostImage records a host image, replacing one with the same ID.
func (s *Store) PutHostImage(ctx context.Context, hi api.HostImage) error {
	_, err := conn{s, s.writer}.exec(ctx, `INSERT INTO host_images (id, host, base, deployment, new_bytes, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, deployment = excluded.deployment, expires_at = excluded.expires_at`,
		hi.ID, hi.Host, hi.Base, string(hi.Deployment), hi.NewBytes, micros(hi.CreatedAt), micros(hi.ExpiresAt))
	if err != nil {
		return fmt.Errorf("recording host image %s: %w", hi.ID, err)
	}
	return nil
}

// ListHostImages lists every host image, oldest first.
func (s *Store) ListHostImages(ctx context.Context) ([]api.HostImage, error) {
	rows, err := s.read().query(ctx, "SELECT id, host, base, deployment, new_bytes, created_at, expires_at FROM host_images ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("listing host images: %w", err)
	}
	out, err := collect(rows, func(r scanner) (api.HostImage, error) {
		var hi api.HostImage
		var created, expires int64
		err := r.Scan(&hi.ID, &hi.Host, &hi.Base, &hi.Deployment, &hi.NewBytes, &created, &expires)
		hi.CreatedAt, hi.ExpiresAt = fromMicros(created), fromMicros(expires)
		return hi, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing host images: %w", err)
	}
	return out, nil
}

// DeleteHostImage removes a host image's record.
func (s *Store) DeleteHostImage(ctx context.Context, id string) error {
	res, err := conn{s, s.writer}.exec(ctx, "DELETE FROM host_images WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("deleting host image %s: %w", id, err)
	}
	return affected(res, "host image "+id)
}
