package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// claimLockKey is the PostgreSQL advisory lock that serializes claims while
// concurrency caps apply, so two replicas cannot both fill the last slot.
const claimLockKey = 0x696e676f74 // "ingot"

// caps is how many more pending deployments may start, overall and per
// hostgroup. A negative global means no cap; a group absent from limit has
// no cap.
type caps struct {
	global  int
	started map[string]int
	limit   map[string]int
}

// admit reports whether a pending deployment of group fits, and counts it.
func (c *caps) admit(group string) bool {
	if c == nil {
		return true
	}
	if c.global == 0 {
		return false
	}
	if l, ok := c.limit[group]; ok && c.started[group] >= l {
		return false
	}
	if c.global > 0 {
		c.global--
	}
	c.started[group]++
	return true
}

// full is the SQL condition that excludes pending deployments that cannot
// start now, with its arguments.
func (c *caps) full() (string, []any) {
	if c == nil {
		return "", nil
	}
	if c.global == 0 {
		return " AND state <> 'pending'", nil
	}
	var groups []any
	for g, l := range c.limit {
		if c.started[g] >= l {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return "", nil
	}
	return " AND (state <> 'pending' OR hostgroup NOT IN (" + placeholders(len(groups)) + "))", groups
}

// ClaimDeployments leases runnable deployments to c.Owner, oldest first.
// Pending ones are claimed only within the caps (see store.Claim); pending
// deployments under a live lease count as started.
func (s *Store) ClaimDeployments(ctx context.Context, c store.Claim) ([]api.Deployment, error) {
	if c.Owner == "" {
		return nil, fmt.Errorf("claiming deployments: empty owner")
	}
	if c.Now.IsZero() {
		c.Now = s.now()
	}
	var claimed []api.Deployment
	err := s.inTx(ctx, func(tx conn) error {
		cp, err := s.loadCaps(ctx, tx, c)
		if err != nil {
			return err
		}
		if claimed, err = s.candidates(ctx, tx, c, cp); err != nil {
			return err
		}
		return s.lease(ctx, tx, c, claimed)
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// loadCaps counts started deployments when any cap applies (nil if none),
// after taking the claim lock on PostgreSQL.
func (s *Store) loadCaps(ctx context.Context, tx conn, c store.Claim) (*caps, error) {
	rows, err := tx.query(ctx, "SELECT name, max_concurrent FROM hostgroups WHERE max_concurrent > 0")
	if err != nil {
		return nil, fmt.Errorf("loading hostgroup caps: %w", err)
	}
	limits, err := collect(rows, scanCount)
	if err != nil {
		return nil, fmt.Errorf("loading hostgroup caps: %w", err)
	}
	if c.GlobalCap <= 0 && len(limits) == 0 {
		return nil, nil
	}
	if s.dialect == dialectPostgres {
		if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(claimLockKey)); err != nil {
			return nil, fmt.Errorf("taking claim lock: %w", err)
		}
	}
	rows, err = tx.query(ctx, `SELECT hostgroup, count(*) FROM deployments
		WHERE state IN ('running', 'compensating') OR (state = 'pending' AND lease_owner <> '' AND lease_until > ?)
		GROUP BY hostgroup`, micros(c.Now))
	if err != nil {
		return nil, fmt.Errorf("counting started deployments: %w", err)
	}
	started, err := collect(rows, scanCount)
	if err != nil {
		return nil, fmt.Errorf("counting started deployments: %w", err)
	}
	cp := &caps{global: -1, started: map[string]int{}, limit: map[string]int{}}
	total := 0
	for _, g := range started {
		cp.started[g.name], total = g.n, total+g.n
	}
	for _, g := range limits {
		cp.limit[g.name] = g.n
	}
	if c.GlobalCap > 0 {
		cp.global = max(0, c.GlobalCap-total)
	}
	return cp, nil
}

type count struct {
	name string
	n    int
}

func scanCount(r scanner) (count, error) {
	var c count
	return c, r.Scan(&c.name, &c.n)
}

// candidates selects (and on PostgreSQL locks) runnable deployments that fit.
func (s *Store) candidates(ctx context.Context, tx conn, c store.Claim, cp *caps) ([]api.Deployment, error) {
	now := micros(c.Now)
	limit := pageSize(c.Limit)
	cond, args := cp.full()
	query := "SELECT " + deploymentCols + " FROM deployments WHERE " + activeState +
		" AND wake_at <= ? AND (lease_owner = '' OR lease_until <= ?)" + cond +
		" ORDER BY created_at, id LIMIT ?"
	if s.dialect == dialectPostgres {
		query += " FOR UPDATE SKIP LOCKED"
	}
	rows, err := tx.query(ctx, query, append(append([]any{now, now}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("finding runnable deployments: %w", err)
	}
	all, err := collect(rows, scanDeployment)
	if err != nil {
		return nil, fmt.Errorf("finding runnable deployments: %w", err)
	}
	var out []api.Deployment
	for _, d := range all {
		if d.State != api.DeploymentPending || cp.admit(d.Hostgroup) {
			out = append(out, d)
		}
	}
	return out, nil
}

// lease gives ds to c.Owner until c.Now + c.TTL.
func (s *Store) lease(ctx context.Context, tx conn, c store.Claim, ds []api.Deployment) error {
	if len(ds) == 0 {
		return nil
	}
	args := []any{c.Owner, micros(c.Now.Add(c.TTL))}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = string(d.ID)
		args = append(args, string(d.ID))
	}
	_, err := tx.exec(ctx, "UPDATE deployments SET lease_owner = ?, lease_until = ?, claimed_wakes = wakes WHERE id IN ("+
		placeholders(len(ds))+")", args...)
	if err != nil {
		return fmt.Errorf("leasing deployments %s: %w", strings.Join(ids, ", "), err)
	}
	return nil
}
