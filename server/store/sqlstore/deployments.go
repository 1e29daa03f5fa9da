package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// activeState selects deployments that are not terminal. It matches the
// predicate of the deployments_one_active index.
const activeState = "state NOT IN ('succeeded', 'failed', 'cancelled')"

const deploymentCols = "id, host, hostgroup, image_set, state, steps, error, created_by, " +
	"created_at, started_at, finished_at, deadline, cancel"

func scanDeployment(r scanner) (api.Deployment, error) {
	var d api.Deployment
	var steps, stepErr string
	var created, started, finished, deadline int64
	var cancel int
	err := r.Scan(&d.ID, &d.Host, &d.Hostgroup, &d.ImageSet, &d.State, &steps, &stepErr, &d.CreatedBy,
		&created, &started, &finished, &deadline, &cancel)
	if err != nil {
		return api.Deployment{}, err
	}
	d.CreatedAt, d.StartedAt = fromMicros(created), fromMicros(started)
	d.FinishedAt, d.Deadline = fromMicros(finished), fromMicros(deadline)
	d.Cancel = cancel != 0
	if stepErr != "" {
		d.Error = new(api.StepError)
		if err := fromJSON(stepErr, d.Error); err != nil {
			return api.Deployment{}, err
		}
	}
	return d, fromJSON(steps, &d.Steps)
}

// encodeResult is d's steps and error as stored.
func encodeResult(d api.Deployment) (steps, stepErr string, err error) {
	if steps, err = toJSON(d.Steps); err != nil {
		return "", "", err
	}
	if d.Error != nil {
		if stepErr, err = toJSON(d.Error); err != nil {
			return "", "", err
		}
	}
	return steps, stepErr, nil
}

// CreateDeployments inserts all of ds or none, each with a
// deployment.created event. Empty IDs, creation times and states are
// filled in (in ds): a time-ordered ID, now, pending. A host that does not
// exist or already has an active deployment is a ConflictError on
// "hosts[i]".
func (s *Store) CreateDeployments(ctx context.Context, ds []api.Deployment) error {
	now := s.stamp()
	for i := range ds {
		if err := fillNew(&ds[i], now); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(c conn) error {
		for i, d := range ds {
			if err := s.insertDeployment(ctx, c, i, d); err != nil {
				return err
			}
		}
		return nil
	})
}

func fillNew(d *api.Deployment, now time.Time) error {
	if d.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("making deployment id: %w", err)
		}
		d.ID = api.DeploymentID(id.String())
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now
	}
	if d.State == "" {
		d.State = api.DeploymentPending
	}
	d.CreatedAt = fromMicros(micros(d.CreatedAt))
	d.StartedAt, d.FinishedAt = fromMicros(micros(d.StartedAt)), fromMicros(micros(d.FinishedAt))
	d.Deadline = fromMicros(micros(d.Deadline))
	return nil
}

func (s *Store) insertDeployment(ctx context.Context, c conn, i int, d api.Deployment) error {
	field := fmt.Sprintf("hosts[%d]", i)
	var active string
	err := c.row(ctx, "SELECT id FROM deployments WHERE host = ? AND "+activeState, d.Host).Scan(&active)
	if err == nil {
		return conflict(field, "host %s already has active deployment %s", d.Host, active)
	}
	if !noRows(err) {
		return fmt.Errorf("checking deployments of host %s: %w", d.Host, err)
	}
	var one int
	err = c.row(ctx, "SELECT 1 FROM hosts WHERE name = ?", d.Host).Scan(&one)
	if noRows(err) {
		return conflict(field, "host %s does not exist", d.Host)
	}
	if err != nil {
		return fmt.Errorf("checking host %s: %w", d.Host, err)
	}
	steps, stepErr, err := encodeResult(d)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, "INSERT INTO deployments ("+deploymentCols+", wake_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
		string(d.ID), d.Host, d.Hostgroup, d.ImageSet, string(d.State), steps, stepErr, d.CreatedBy,
		micros(d.CreatedAt), micros(d.StartedAt), micros(d.FinishedAt), micros(d.Deadline), boolInt(d.Cancel))
	if isUnique(err) {
		return conflict(field, "deployment %s or another active deployment of host %s exists", d.ID, d.Host)
	}
	if err != nil {
		return fmt.Errorf("creating deployment of host %s: %w", d.Host, err)
	}
	return insertEvents(ctx, c, []api.Event{{
		Deployment: d.ID, Time: d.CreatedAt, Step: -1, Type: "deployment.created",
	}})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// GetDeployment returns the deployment.
func (s *Store) GetDeployment(ctx context.Context, id api.DeploymentID) (api.Deployment, error) {
	d, err := scanDeployment(s.read().row(ctx, "SELECT "+deploymentCols+" FROM deployments WHERE id = ?", string(id)))
	if err != nil {
		return api.Deployment{}, fmt.Errorf("getting deployment %s: %w", id, notFound(err, "deployment"))
	}
	return d, nil
}

// ActiveDeployment returns the host's non-terminal deployment.
func (s *Store) ActiveDeployment(ctx context.Context, host string) (api.Deployment, error) {
	d, err := scanDeployment(s.read().row(ctx, "SELECT "+deploymentCols+" FROM deployments WHERE host = ? AND "+activeState, host))
	if err != nil {
		return api.Deployment{}, fmt.Errorf("getting active deployment of host %s: %w", host, notFound(err, "deployment"))
	}
	return d, nil
}

// ListDeployments pages through deployments by ID.
func (s *Store) ListDeployments(ctx context.Context, f store.DeploymentFilter) (api.Page[api.Deployment], error) {
	n := pageSize(f.Limit)
	where, args := []string{"id > ?"}, []any{f.Cursor}
	if f.Host != "" {
		where, args = append(where, "host = ?"), append(args, f.Host)
	}
	if f.Hostgroup != "" {
		where, args = append(where, "hostgroup = ?"), append(args, f.Hostgroup)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	rows, err := s.read().query(ctx, "SELECT "+deploymentCols+" FROM deployments WHERE "+
		strings.Join(where, " AND ")+" ORDER BY id LIMIT ?", append(args, n+1)...)
	if err != nil {
		return api.Page[api.Deployment]{}, fmt.Errorf("listing deployments: %w", err)
	}
	items, err := collect(rows, scanDeployment)
	if err != nil {
		return api.Page[api.Deployment]{}, fmt.Errorf("listing deployments: %w", err)
	}
	return pageOf(items, n, func(d api.Deployment) string { return string(d.ID) }), nil
}

// SaveDeployment writes d's progress under lease; see store.Store.
func (s *Store) SaveDeployment(ctx context.Context, lease store.Lease, d api.Deployment, wake time.Time, events []api.Event) error {
	if lease.Owner == "" {
		return fmt.Errorf("saving deployment %s without a lease owner: %w", d.ID, store.ErrLeaseLost)
	}
	steps, stepErr, err := encodeResult(d)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(c conn) error {
		// A signal or cancel that arrived since the claim (wakes moved on)
		// keeps the deployment runnable, so no wake-up is lost.
		res, err := c.exec(ctx, `UPDATE deployments SET state = ?, steps = ?, error = ?, started_at = ?,
			finished_at = ?, deadline = ?, lease_until = ?,
			wake_at = CASE WHEN wakes <> claimed_wakes THEN 0 ELSE CAST(? AS BIGINT) END
			WHERE id = ? AND lease_owner = ?`,
			string(d.State), steps, stepErr, micros(d.StartedAt), micros(d.FinishedAt), micros(d.Deadline),
			micros(lease.Until), nullMicros(wake), string(d.ID), lease.Owner)
		if err != nil {
			return fmt.Errorf("saving deployment %s: %w", d.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("saving deployment %s as %s: %w", d.ID, lease.Owner, store.ErrLeaseLost)
		}
		for i := range events {
			events[i].Deployment = d.ID
		}
		return insertEvents(ctx, c, events)
	})
}

// ReleaseDeployment drops owner's lease; ErrLeaseLost if owner does not hold it.
func (s *Store) ReleaseDeployment(ctx context.Context, id api.DeploymentID, owner string) error {
	res, err := conn{s, s.writer}.exec(ctx,
		"UPDATE deployments SET lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ? AND lease_owner <> ''",
		string(id), owner)
	if err != nil {
		return fmt.Errorf("releasing deployment %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("releasing deployment %s as %s: %w", id, owner, store.ErrLeaseLost)
	}
	return nil
}

// ReleaseAll drops every lease.
func (s *Store) ReleaseAll(ctx context.Context) error {
	_, err := conn{s, s.writer}.exec(ctx, "UPDATE deployments SET lease_owner = '', lease_until = 0 WHERE lease_owner <> ''")
	if err != nil {
		return fmt.Errorf("releasing all leases: %w", err)
	}
	return nil
}

// RequestCancel marks the deployment for cancellation and wakes it.
func (s *Store) RequestCancel(ctx context.Context, id api.DeploymentID) error {
	return s.inTx(ctx, func(c conn) error {
		return wake(ctx, c, id, "cancel = 1, ")
	})
}

// wake makes the deployment runnable now and records that it was woken
// (see SaveDeployment); set is extra assignments ending in ", ".
func wake(ctx context.Context, c conn, id api.DeploymentID, set string) error {
	res, err := c.exec(ctx, "UPDATE deployments SET "+set+"wake_at = 0, wakes = wakes + 1 WHERE id = ?", string(id))
	if err != nil {
		return fmt.Errorf("waking deployment %s: %w", id, err)
	}
	return affected(res, "deployment "+string(id))
}
