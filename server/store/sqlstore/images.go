package sqlstore

import (
	"context"
	"fmt"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

const imageCols = "id, name, arch, firmware, os, size, created_at"

func scanImage(r scanner) (api.Image, error) {
	var img api.Image
	var created int64
	err := r.Scan(&img.ID, &img.Name, &img.Arch, &img.Firmware, &img.OS, &img.Size, &created)
	img.CreatedAt = fromMicros(created)
	return img, err
}

// CreateImage records an image; ConflictError if its ID is known.
func (s *Store) CreateImage(ctx context.Context, img api.Image) (api.Image, error) {
	if img.CreatedAt.IsZero() {
		img.CreatedAt = s.stamp()
	}
	img.CreatedAt = fromMicros(micros(img.CreatedAt))
	_, err := conn{s, s.writer}.exec(ctx, "INSERT INTO images ("+imageCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
		img.ID, img.Name, img.Arch, img.Firmware, img.OS, img.Size, micros(img.CreatedAt))
	if isUnique(err) {
		return api.Image{}, conflict("id", "image %s already exists", img.ID)
	}
	if err != nil {
		return api.Image{}, fmt.Errorf("creating image %s: %w", img.ID, err)
	}
	return img, nil
}

// GetImage returns the image with the given ID.
func (s *Store) GetImage(ctx context.Context, id string) (api.Image, error) {
	img, err := scanImage(s.read().row(ctx, "SELECT "+imageCols+" FROM images WHERE id = ?", id))
	if err != nil {
		return api.Image{}, fmt.Errorf("getting image %s: %w", id, notFound(err, "image"))
	}
	return img, nil
}

// ListImages pages through images by ID.
func (s *Store) ListImages(ctx context.Context, opt store.ListOptions) (api.Page[api.Image], error) {
	n := pageSize(opt.Limit)
	rows, err := s.read().query(ctx, "SELECT "+imageCols+" FROM images WHERE id > ? ORDER BY id LIMIT ?", opt.Cursor, n+1)
	if err != nil {
		return api.Page[api.Image]{}, fmt.Errorf("listing images: %w", err)
	}
	items, err := collect(rows, scanImage)
	if err != nil {
		return api.Page[api.Image]{}, fmt.Errorf("listing images: %w", err)
	}
	return pageOf(items, n, func(i api.Image) string { return i.ID }), nil
}

// DeleteImage removes an image no image set uses.
func (s *Store) DeleteImage(ctx context.Context, id string) error {
	return s.inTx(ctx, func(c conn) error {
		var set string
		err := c.row(ctx, "SELECT image_set FROM image_set_images WHERE image = ? LIMIT 1", id).Scan(&set)
		if err == nil {
			return conflict("id", "image %s is used by image set %s; remove it from the set first", id, set)
		}
		if !noRows(err) {
			return fmt.Errorf("deleting image %s: %w", id, err)
		}
		res, err := c.exec(ctx, "DELETE FROM images WHERE id = ?", id)
		if isForeignKey(err) {
			return conflict("id", "image %s is used by an image set", id)
		}
		if err != nil {
			return fmt.Errorf("deleting image %s: %w", id, err)
		}
		return affected(res, "image "+id)
	})
}
