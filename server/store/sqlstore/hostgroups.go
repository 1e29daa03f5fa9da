package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

const hostgroupCols = "name, description, image_set, layout, encryption, boot_path, first_boot, template, max_concurrent, created_at, updated_at"

func scanHostgroup(r scanner) (api.Hostgroup, error) {
	var g api.Hostgroup
	var set sql.NullString
	var firstBoot, template string
	var created, updated int64
	err := r.Scan(&g.Name, &g.Description, &set, &g.Layout, &g.Encryption, &g.BootPath,
		&firstBoot, &template, &g.MaxConcurrent, &created, &updated)
	if err != nil {
		return api.Hostgroup{}, err
	}
	g.ImageSet = set.String
	g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := fromJSON(firstBoot, &g.FirstBoot); err != nil {
		return api.Hostgroup{}, err
	}
	return g, fromJSON(template, &g.Template)
}

// hostgroupArgs are g's columns after name, in hostgroupCols order, without times.
func hostgroupArgs(g api.Hostgroup) ([]any, error) {
	firstBoot, err := toJSON(g.FirstBoot)
	if err != nil {
		return nil, err
	}
	template, err := toJSON(g.Template)
	if err != nil {
		return nil, err
	}
	return []any{g.Description, nullString(g.ImageSet), g.Layout, g.Encryption, string(g.BootPath),
		firstBoot, template, g.MaxConcurrent}, nil
}

// checkImageSet refuses a reference to an image set that does not exist.
func checkImageSet(ctx context.Context, c conn, name string) error {
	if name == "" {
		return nil
	}
	var one int
	err := c.row(ctx, "SELECT 1 FROM image_sets WHERE name = ?", name).Scan(&one)
	if noRows(err) {
		return conflict("image_set", "image set %s does not exist", name)
	}
	if err != nil {
		return fmt.Errorf("checking image set %s: %w", name, err)
	}
	return nil
}

// CreateHostgroup records a hostgroup; ConflictError on a taken name or an
// unknown image set.
func (s *Store) CreateHostgroup(ctx context.Context, g api.Hostgroup) (api.Hostgroup, error) {
	args, err := hostgroupArgs(g)
	if err != nil {
		return api.Hostgroup{}, err
	}
	now := micros(s.stamp())
	err = s.inTx(ctx, func(c conn) error {
		if err := checkImageSet(ctx, c, g.ImageSet); err != nil {
			return err
		}
		_, err := c.exec(ctx, "INSERT INTO hostgroups ("+hostgroupCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			append(append([]any{g.Name}, args...), now, now)...)
		switch {
		case isUnique(err):
			return conflict("name", "hostgroup %s already exists", g.Name)
		case isForeignKey(err):
			return conflict("image_set", "image set %s does not exist", g.ImageSet)
		case err != nil:
			return fmt.Errorf("creating hostgroup %s: %w", g.Name, err)
		}
		g, err = s.getHostgroup(ctx, c, g.Name)
		return err
	})
	if err != nil {
		return api.Hostgroup{}, err
	}
	return g, nil
}

// GetHostgroup returns the named hostgroup.
func (s *Store) GetHostgroup(ctx context.Context, name string) (api.Hostgroup, error) {
	return s.getHostgroup(ctx, s.read(), name)
}

func (s *Store) getHostgroup(ctx context.Context, c conn, name string) (api.Hostgroup, error) {
	g, err := scanHostgroup(c.row(ctx, "SELECT "+hostgroupCols+" FROM hostgroups WHERE name = ?", name))
	if err != nil {
		return api.Hostgroup{}, fmt.Errorf("getting hostgroup %s: %w", name, notFound(err, "hostgroup"))
	}
	return g, nil
}

// ListHostgroups pages through hostgroups by name.
func (s *Store) ListHostgroups(ctx context.Context, opt store.ListOptions) (api.Page[api.Hostgroup], error) {
	n := pageSize(opt.Limit)
	rows, err := s.read().query(ctx, "SELECT "+hostgroupCols+" FROM hostgroups WHERE name > ? ORDER BY name LIMIT ?", opt.Cursor, n+1)
	if err != nil {
		return api.Page[api.Hostgroup]{}, fmt.Errorf("listing hostgroups: %w", err)
	}
	items, err := collect(rows, scanHostgroup)
	if err != nil {
		return api.Page[api.Hostgroup]{}, fmt.Errorf("listing hostgroups: %w", err)
	}
	return pageOf(items, n, func(g api.Hostgroup) string { return g.Name }), nil
}

// UpdateHostgroup replaces everything but the name and creation time.
func (s *Store) UpdateHostgroup(ctx context.Context, g api.Hostgroup) (api.Hostgroup, error) {
	args, err := hostgroupArgs(g)
	if err != nil {
		return api.Hostgroup{}, err
	}
	err = s.inTx(ctx, func(c conn) error {
		if err := checkImageSet(ctx, c, g.ImageSet); err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE hostgroups SET description = ?, image_set = ?, layout = ?, encryption = ?,
			boot_path = ?, first_boot = ?, template = ?, max_concurrent = ?, updated_at = ? WHERE name = ?`,
			append(args, micros(s.stamp()), g.Name)...)
		if isForeignKey(err) {
			return conflict("image_set", "image set %s does not exist", g.ImageSet)
		}
		if err != nil {
			return fmt.Errorf("updating hostgroup %s: %w", g.Name, err)
		}
		if err := affected(res, "hostgroup "+g.Name); err != nil {
			return err
		}
		g, err = s.getHostgroup(ctx, c, g.Name)
		return err
	})
	if err != nil {
		return api.Hostgroup{}, err
	}
	return g, nil
}

// DeleteHostgroup removes a hostgroup no host belongs to.
func (s *Store) DeleteHostgroup(ctx context.Context, name string) error {
	return s.inTx(ctx, func(c conn) error {
		var host string
		err := c.row(ctx, "SELECT name FROM hosts WHERE hostgroup = ? LIMIT 1", name).Scan(&host)
		if err == nil {
			return conflict("name", "hostgroup %s still has hosts (%s, ...); move or delete them first", name, host)
		}
		if !noRows(err) {
			return fmt.Errorf("deleting hostgroup %s: %w", name, err)
		}
		res, err := c.exec(ctx, "DELETE FROM hostgroups WHERE name = ?", name)
		if isForeignKey(err) {
			return conflict("name", "hostgroup %s still has hosts", name)
		}
		if err != nil {
			return fmt.Errorf("deleting hostgroup %s: %w", name, err)
		}
		return affected(res, "hostgroup "+name)
	})
}
