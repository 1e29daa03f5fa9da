package quirks_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
	"ingot.dev/ingot/redfish/quirks"
)

func TestProbe(t *testing.T) {
	tests := []struct {
		name   string
		quirks emulator.Quirks
		want   func(redfish.Quirks) bool
		note   string
	}{
		{"standard", emulator.Quirks{}, func(q redfish.Quirks) bool {
			return !q.BootETag && q.BootSettingsPath == "" && !q.MediaOmitInserted && !q.BootNotApplied
		}, "boot override works (settings object: false, If-Match: false)"},
		{"settings and ETag", emulator.Quirks{BootViaSettings: true}, func(q redfish.Quirks) bool {
			return q.BootETag && q.BootSettingsPath != ""
		}, "boot override works (settings object: true, If-Match: true)"},
		{"ignores boot PATCH", emulator.Quirks{IgnoreBootPatch: true}, func(q redfish.Quirks) bool { return q.BootNotApplied },
			"accepted but not applied"},
		{"rejects Inserted", emulator.Quirks{RejectInserted: true}, func(q redfish.Quirks) bool { return q.MediaOmitInserted },
			"Inserted/WriteProtected accepted: false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fakebmc.New(t, fakebmc.Options{Quirks: tt.quirks})
			var log bytes.Buffer
			c, err := redfish.Connect(t.Context(), redfish.Config{Endpoint: b.URL(), Username: fakebmc.User, Password: fakebmc.Password,
				Retry: redfish.Retry{Attempts: 2, Backoff: time.Millisecond}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := quirks.Probe(t.Context(), c, quirks.Options{Active: true, MediaURL: "http://10.0.0.1/probe.iso"})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(rep.Quirks) {
				t.Errorf("quirks %+v", rep.Quirks)
			}
			if !strings.Contains(strings.Join(rep.Findings, "\n"), tt.note) {
				t.Errorf("findings lack %q:\n%s", tt.note, strings.Join(rep.Findings, "\n"))
			}
			if d := cmp.Diff(quirks.Key{Vendor: "Contoso", Model: "3500", Firmware: "1.00"}, rep.Key); d != "" {
				t.Errorf("key: %s", d)
			}
			if target, enabled := b.Boot(); enabled != "Disabled" || b.Image() != "" {
				t.Errorf("probe left boot %s %s, media %q", enabled, target, b.Image())
			}
			if strings.Contains(log.String(), fakebmc.Password) {
				t.Error("log holds the password")
			}
			// The quirks round-trip through JSON, as the server stores them.
			data, err := json.Marshal(rep.Quirks)
			if err != nil {
				t.Fatal(err)
			}
			var back redfish.Quirks
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(rep.Quirks, back); d != "" {
				t.Errorf("JSON round trip: %s", d)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	var r quirks.Registry
	r.Learn(quirks.Report{Key: quirks.Key{"Contoso", "3500", "1.00"}, Quirks: redfish.Quirks{BootETag: true, SystemPath: "/x"}})
	data, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	var back quirks.Registry
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		key  quirks.Key
		want bool
	}{
		{quirks.Key{"Contoso", "3500", "1.00"}, true},
		{quirks.Key{"Contoso", "3500", "2.00"}, true},
		{quirks.Key{"Contoso", "4000", "1.00"}, false},
	} {
		q, ok := back.Lookup(tt.key)
		if ok != tt.want || (ok && (!q.BootETag || q.SystemPath != "")) {
			t.Errorf("Lookup(%v) = %+v, %v", tt.key, q, ok)
		}
	}
}
