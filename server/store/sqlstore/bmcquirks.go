package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

const quirksCols = "endpoint, vendor, model, firmware, quirks, findings, source, probed_at, updated_at"

func scanQuirks(r scanner) (api.BMCQuirks, error) {
	var q api.BMCQuirks
	var quirks, findings string
	var probed, updated int64
	if err := r.Scan(&q.Endpoint, &q.Vendor, &q.Model, &q.Firmware, &quirks, &findings, &q.Source, &probed, &updated); err != nil {
		return api.BMCQuirks{}, err
	}
	q.Quirks = api.RawJSON(quirks)
	q.ProbedAt, q.UpdatedAt = fromMicros(probed), fromMicros(updated)
	return q, fromJSON(findings, &q.Findings)
}

// PutBMCQuirks creates or replaces the quirks of q.Endpoint.
func (s *Store) PutBMCQuirks(ctx context.Context, q api.BMCQuirks) (api.BMCQuirks, error) {
	if !json.Valid(q.Quirks) {
		return api.BMCQuirks{}, fmt.Errorf("storing quirks of BMC %s: quirks are not JSON", q.Endpoint)
	}
	findings, err := toJSON(q.Findings)
	if err != nil {
		return api.BMCQuirks{}, err
	}
	q.UpdatedAt = s.stamp()
	q.ProbedAt = fromMicros(micros(q.ProbedAt))
	_, err = conn{s, s.writer}.exec(ctx, "INSERT INTO bmc_quirks ("+quirksCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (endpoint) DO UPDATE SET vendor = excluded.vendor, model = excluded.model, firmware = excluded.firmware,
		quirks = excluded.quirks, findings = excluded.findings, source = excluded.source, probed_at = excluded.probed_at,
		updated_at = excluded.updated_at`,
		q.Endpoint, q.Vendor, q.Model, q.Firmware, string(q.Quirks), findings, q.Source, micros(q.ProbedAt), micros(q.UpdatedAt))
	if err != nil {
		return api.BMCQuirks{}, fmt.Errorf("storing quirks of BMC %s: %w", q.Endpoint, err)
	}
	return q, nil
}

// GetBMCQuirks returns the quirks stored for endpoint.
func (s *Store) GetBMCQuirks(ctx context.Context, endpoint string) (api.BMCQuirks, error) {
	q, err := scanQuirks(s.read().row(ctx, "SELECT "+quirksCols+" FROM bmc_quirks WHERE endpoint = ?", endpoint))
	if err != nil {
		return api.BMCQuirks{}, fmt.Errorf("getting quirks of BMC %s: %w", endpoint, notFound(err, "bmc quirks"))
	}
	return q, nil
}

// ListBMCQuirks pages through the stored quirks by endpoint.
func (s *Store) ListBMCQuirks(ctx context.Context, opt store.ListOptions) (api.Page[api.BMCQuirks], error) {
	n := pageSize(opt.Limit)
	rows, err := s.read().query(ctx, "SELECT "+quirksCols+" FROM bmc_quirks WHERE endpoint > ? ORDER BY endpoint LIMIT ?", opt.Cursor, n+1)
	if err != nil {
		return api.Page[api.BMCQuirks]{}, fmt.Errorf("listing BMC quirks: %w", err)
	}
	items, err := collect(rows, scanQuirks)
	if err != nil {
		return api.Page[api.BMCQuirks]{}, fmt.Errorf("listing BMC quirks: %w", err)
	}
	return pageOf(items, n, func(q api.BMCQuirks) string { return q.Endpoint }), nil
}

// DeleteBMCQuirks forgets what is known about a BMC.
func (s *Store) DeleteBMCQuirks(ctx context.Context, endpoint string) error {
	res, err := conn{s, s.writer}.exec(ctx, "DELETE FROM bmc_quirks WHERE endpoint = ?", endpoint)
	if err != nil {
		return fmt.Errorf("deleting quirks of BMC %s: %w", endpoint, err)
	}
	return affected(res, "bmc quirks "+endpoint)
}
