package storetest

import (
	"fmt"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testBMCQuirks(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetBMCQuirks(ctx, "https://10.0.0.9")
	wantNotFound(t, err)
	probed := time.Date(2025, 6, 1, 12, 0, 0, 123000, time.UTC)
	q := api.BMCQuirks{Endpoint: "https://10.0.0.9", Vendor: "Contoso", Model: "3500", Firmware: "1.00",
		Quirks: api.RawJSON(`{"BootETag":true,"MediaOmitInserted":true}`), Findings: []string{"boot override needs If-Match"},
		Source: api.QuirksFromProbe, ProbedAt: probed}
	got := must(s.PutBMCQuirks(ctx, q))(t)
	if got.UpdatedAt.IsZero() {
		t.Errorf("PutBMCQuirks did not set UpdatedAt")
	}
	q.UpdatedAt = got.UpdatedAt
	diff(t, "PutBMCQuirks", q, got)
	diff(t, "GetBMCQuirks", q, must(s.GetBMCQuirks(ctx, q.Endpoint))(t))

	// Put replaces everything but the key.
	q2 := api.BMCQuirks{Endpoint: q.Endpoint, Vendor: "Contoso", Model: "3500", Firmware: "1.01",
		Quirks: api.RawJSON(`{"BootETag":false}`), Source: api.QuirksFromLearned}
	got = must(s.PutBMCQuirks(ctx, q2))(t)
	q2.UpdatedAt = got.UpdatedAt
	diff(t, "GetBMCQuirks after replace", q2, must(s.GetBMCQuirks(ctx, q.Endpoint))(t))

	if _, err := s.PutBMCQuirks(ctx, api.BMCQuirks{Endpoint: "https://x", Quirks: api.RawJSON(`{`), Source: "probe"}); err == nil {
		t.Errorf("PutBMCQuirks with invalid JSON succeeded")
	}

	want := []string{q.Endpoint}
	for i := range 3 {
		e := fmt.Sprintf("https://10.0.1.%d", i)
		must(s.PutBMCQuirks(ctx, api.BMCQuirks{Endpoint: e, Quirks: api.RawJSON(`{}`), Source: api.QuirksFromLearned}))(t)
		want = append(want, e)
	}
	var listed []string
	for _, q := range walk(t, 2, func(o store.ListOptions) (api.Page[api.BMCQuirks], error) { return s.ListBMCQuirks(ctx, o) }) {
		listed = append(listed, q.Endpoint)
	}
	diff(t, "ListBMCQuirks", want, listed)

	check(t, s.DeleteBMCQuirks(ctx, q.Endpoint))
	wantNotFound(t, s.DeleteBMCQuirks(ctx, q.Endpoint))
	_, err = s.GetBMCQuirks(ctx, q.Endpoint)
	wantNotFound(t, err)
}
