package sqlstore

import (
	"context"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

const imageSetCols = "name, description, variants, created_at, updated_at"

// imageSetRead is what reads select: the columns plus the recorded check.
const imageSetRead = imageSetCols + ", check_at, check_status, check_error"

func scanImageSet(r scanner) (api.ImageSet, error) {
	var set api.ImageSet
	var variants string
	var created, updated, checked int64
	var check api.ImageSetCheck
	if err := r.Scan(&set.Name, &set.Description, &variants, &created, &updated, &checked, &check.Status, &check.Error); err != nil {
		return api.ImageSet{}, err
	}
	set.CreatedAt, set.UpdatedAt = fromMicros(created), fromMicros(updated)
	if check.Status != "" {
		check.Time = fromMicros(checked)
		set.Check = &check
	}
	return set, fromJSON(variants, &set.Variants)
}

// RecordImageSetCheck stores the outcome of a check of the set as it was
// at updatedAt.
func (s *Store) RecordImageSetCheck(ctx context.Context, name string, updatedAt time.Time, c api.ImageSetCheck) error {
	return s.inTx(ctx, func(tx conn) error {
		var at int64
		if err := tx.row(ctx, "SELECT updated_at FROM image_sets WHERE name = ?", name).Scan(&at); err != nil {
			return fmt.Errorf("recording the check of image set %s: %w", name, notFound(err, "image set "+name))
		}
		if at != micros(updatedAt) {
			return conflict("updated_at", "image set %s changed while it was checked", name)
		}
		_, err := tx.exec(ctx, "UPDATE image_sets SET check_at = ?, check_status = ?, check_error = ? WHERE name = ?",
			micros(c.Time), string(c.Status), c.Error, name)
		if err != nil {
			return fmt.Errorf("recording the check of image set %s: %w", name, err)
		}
		return nil
	})
}

// CreateImageSet records a set; ConflictError on a taken name or an unknown image.
func (s *Store) CreateImageSet(ctx context.Context, set api.ImageSet) (api.ImageSet, error) {
	set.CreatedAt = s.stamp()
	set.UpdatedAt = set.CreatedAt
	variants, err := toJSON(set.Variants)
	if err != nil {
		return api.ImageSet{}, err
	}
	err = s.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, "INSERT INTO image_sets ("+imageSetCols+") VALUES (?, ?, ?, ?, ?)",
			set.Name, set.Description, variants, micros(set.CreatedAt), micros(set.UpdatedAt))
		if isUnique(err) {
			return conflict("name", "image set %s already exists", set.Name)
		}
		if err != nil {
			return fmt.Errorf("creating image set %s: %w", set.Name, err)
		}
		if err := linkImages(ctx, c, set); err != nil {
			return err
		}
		set, err = s.getImageSet(ctx, c, set.Name)
		return err
	})
	if err != nil {
		return api.ImageSet{}, err
	}
	return set, nil
}

// linkImages records which images set uses, refusing unknown ones.
func linkImages(ctx context.Context, c conn, set api.ImageSet) error {
	if _, err := c.exec(ctx, "DELETE FROM image_set_images WHERE image_set = ?", set.Name); err != nil {
		return fmt.Errorf("updating images of set %s: %w", set.Name, err)
	}
	seen := map[string]bool{}
	for i, v := range set.Variants {
		var one int
		err := c.row(ctx, "SELECT 1 FROM images WHERE id = ?", v.Image).Scan(&one)
		if err != nil {
			if noRows(err) {
				return conflict(fmt.Sprintf("variants[%d].image", i), "image %s does not exist", v.Image)
			}
			return fmt.Errorf("checking image %s: %w", v.Image, err)
		}
		if seen[v.Image] {
			continue
		}
		seen[v.Image] = true
		_, err = c.exec(ctx, "INSERT INTO image_set_images (image_set, image) VALUES (?, ?)", set.Name, v.Image)
		if isForeignKey(err) {
			return conflict(fmt.Sprintf("variants[%d].image", i), "image %s does not exist", v.Image)
		}
		if err != nil {
			return fmt.Errorf("linking image %s to set %s: %w", v.Image, set.Name, err)
		}
	}
	return nil
}

// GetImageSet returns the named set.
func (s *Store) GetImageSet(ctx context.Context, name string) (api.ImageSet, error) {
	return s.getImageSet(ctx, s.read(), name)
}

func (s *Store) getImageSet(ctx context.Context, c conn, name string) (api.ImageSet, error) {
	set, err := scanImageSet(c.row(ctx, "SELECT "+imageSetRead+" FROM image_sets WHERE name = ?", name))
	if err != nil {
		return api.ImageSet{}, fmt.Errorf("getting image set %s: %w", name, notFound(err, "image set"))
	}
	return set, nil
}

// ListImageSets pages through sets by name.
func (s *Store) ListImageSets(ctx context.Context, opt store.ListOptions) (api.Page[api.ImageSet], error) {
	n := pageSize(opt.Limit)
	rows, err := s.read().query(ctx, "SELECT "+imageSetRead+" FROM image_sets WHERE name > ? ORDER BY name LIMIT ?", opt.Cursor, n+1)
	if err != nil {
		return api.Page[api.ImageSet]{}, fmt.Errorf("listing image sets: %w", err)
	}
	items, err := collect(rows, scanImageSet)
	if err != nil {
		return api.Page[api.ImageSet]{}, fmt.Errorf("listing image sets: %w", err)
	}
	return pageOf(items, n, func(i api.ImageSet) string { return i.Name }), nil
}

// UpdateImageSet replaces the set's description and variants.
func (s *Store) UpdateImageSet(ctx context.Context, set api.ImageSet) (api.ImageSet, error) {
	variants, err := toJSON(set.Variants)
	if err != nil {
		return api.ImageSet{}, err
	}
	err = s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, "UPDATE image_sets SET description = ?, variants = ?, updated_at = ?, check_at = 0, check_status = '', check_error = '' WHERE name = ?",
			set.Description, variants, micros(s.stamp()), set.Name)
		if err != nil {
			return fmt.Errorf("updating image set %s: %w", set.Name, err)
		}
		if err := affected(res, "image set "+set.Name); err != nil {
			return err
		}
		if err := linkImages(ctx, c, set); err != nil {
			return err
		}
		set, err = s.getImageSet(ctx, c, set.Name)
		return err
	})
	if err != nil {
		return api.ImageSet{}, err
	}
	return set, nil
}

// DeleteImageSet removes a set no hostgroup uses.
func (s *Store) DeleteImageSet(ctx context.Context, name string) error {
	return s.inTx(ctx, func(c conn) error {
		var group string
		err := c.row(ctx, "SELECT name FROM hostgroups WHERE image_set = ? LIMIT 1", name).Scan(&group)
		if err == nil {
			return conflict("name", "image set %s is used by hostgroup %s; point the hostgroup elsewhere first", name, group)
		}
		if !noRows(err) {
			return fmt.Errorf("deleting image set %s: %w", name, err)
		}
		res, err := c.exec(ctx, "DELETE FROM image_sets WHERE name = ?", name)
		if isForeignKey(err) {
			return conflict("name", "image set %s is used by a hostgroup", name)
		}
		if err != nil {
			return fmt.Errorf("deleting image set %s: %w", name, err)
		}
		return affected(res, "image set "+name)
	})
}
