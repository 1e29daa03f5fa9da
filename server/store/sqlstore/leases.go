package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// GetLease returns the MAC's lease.
func (s *Store) GetLease(ctx context.Context, mac api.MAC) (store.DHCPLease, error) {
	var addr string
	var exp int64
	err := s.read().row(ctx, "SELECT addr, expires FROM leases WHERE mac = ?", mac.String()).Scan(&addr, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return store.DHCPLease{}, fmt.Errorf("lease of %s: %w", mac, store.ErrNotFound)
	}
	if err != nil {
		return store.DHCPLease{}, fmt.Errorf("reading lease of %s: %w", mac, err)
	}
	return leaseOf(mac.String(), addr, exp)
}

// PutLease creates or replaces the MAC's lease.
func (s *Store) PutLease(ctx context.Context, l store.DHCPLease) error {
	err := s.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `INSERT INTO leases (mac, addr, expires) VALUES (?, ?, ?)
			ON CONFLICT (mac) DO UPDATE SET addr = excluded.addr, expires = excluded.expires`,
			l.MAC.String(), l.Addr.String(), micros(l.Expires))
		if isUnique(err) {
			return conflict("addr", "%s is leased to another MAC", l.Addr)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("storing lease of %s: %w", l.MAC, err)
	}
	return nil
}

// ListLeases returns every lease, active or not.
func (s *Store) ListLeases(ctx context.Context) ([]store.DHCPLease, error) {
	rows, err := s.read().query(ctx, "SELECT mac, addr, expires FROM leases ORDER BY mac")
	if err != nil {
		return nil, fmt.Errorf("listing leases: %w", err)
	}
	defer rows.Close()
	var out []store.DHCPLease
	for rows.Next() {
		var mac, addr string
		var exp int64
		if err := rows.Scan(&mac, &addr, &exp); err != nil {
			return nil, err
		}
		l, err := leaseOf(mac, addr, exp)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ExpireLeases deletes the leases that ended before t.
func (s *Store) ExpireLeases(ctx context.Context, before time.Time) (int, error) {
	res, err := conn{s, s.writer}.exec(ctx, "DELETE FROM leases WHERE expires < ?", micros(before))
	if err != nil {
		return 0, fmt.Errorf("expiring leases: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func leaseOf(mac, addr string, exp int64) (store.DHCPLease, error) {
	m, err := api.ParseMAC(mac)
	if err != nil {
		return store.DHCPLease{}, err
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return store.DHCPLease{}, fmt.Errorf("lease of %s: %w", mac, err)
	}
	return store.DHCPLease{MAC: m, Addr: a, Expires: fromMicros(exp)}, nil
}
