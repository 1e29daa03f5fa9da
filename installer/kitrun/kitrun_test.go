package kitrun

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/installer/plan"
)

var testKit = &kit.Manifest{ID: "kit_1", Hosts: []kit.Host{
	{Name: "web-1", Hostgroup: "web", MACs: []string{"52:54:00:00:00:01"}, Serial: "S1"},
	{Name: "web-2", Hostgroup: "web", MACs: []string{"52:54:00:00:00:02"}, Serial: "S2"},
}}

func TestChooseMatches(t *testing.T) {
	var out strings.Builder
	h, why, err := Choose(testKit, plan.Inventory{DMI: plan.DMI{Serial: "S2"}}, strings.NewReader(""), &out)
	if err != nil || h.Name != "web-2" || why != "serial S2" || strings.Contains(out.String(), "choose") {
		t.Errorf("Choose = %s %q %v; console:\n%s", h.Name, why, err, out.String())
	}
}

// TestChooseMenu: a machine not in the kit is told so and offered the
// menu; a bad answer is asked again; 0 or no answer installs nothing.
func TestChooseMenu(t *testing.T) {
	stranger := plan.Inventory{NICs: []plan.NIC{{MAC: "52:54:00:99:99:99"}}, DMI: plan.DMI{Serial: "X9"}}
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"7\nweb\n2\n", "web-2", nil},
		{"0\n", "", ErrNothingChosen},
		{"", "", ErrNothingChosen},
	} {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			var out strings.Builder
			h, why, err := Choose(testKit, stranger, strings.NewReader(tc.in), &out)
			con := out.String()
			if h.Name != tc.want || !errors.Is(err, tc.err) || (err == nil && why != "menu") {
				t.Errorf("Choose = %q %q %v, want %q %v", h.Name, why, err, tc.want, tc.err)
			}
			for _, s := range []string{"not in kit kit_1", "52:54:00:99:99:99", "nothing has been written", "1) web-1", "2) web-2", "0) none"} {
				if !strings.Contains(con, s) {
					t.Errorf("console lacks %q:\n%s", s, con)
				}
			}
			if strings.HasPrefix(tc.in, "7") && !strings.Contains(con, `"7" is not a number between 0 and 2`) {
				t.Errorf("a wrong number is not refused:\n%s", con)
			}
		})
	}
}

func TestRecorder(t *testing.T) {
	pub, priv, _ := kit.NewReportKey(rand.Reader)
	r := &Recorder{Plan: plan.Plan{Deployment: "dep_1", Host: "web-1"}, ReportKey: pub[:]}
	ctx := context.Background()
	var p plan.Plan
	if err := r.Do(ctx, "GET", "/v1/installer/plan", nil, &p); err != nil || p.Host != "web-1" {
		t.Fatalf("plan %+v, %v", p, err)
	}
	body := map[string]any{"keys": []map[string]string{{"volume": "root", "device": "/dev/md1", "passphrase": "s3cret"}}}
	if err := r.Do(ctx, "POST", "/v1/installer/recovery-keys", body, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Do(ctx, "POST", "/v1/hosts", nil, nil); err == nil || !strings.Contains(err.Error(), "site kit") {
		t.Errorf("another call: %v", err)
	}
	for _, n := range []string{"installer.progress", "installer.progress", "installer.done"} {
		if err := r.Signal(ctx, "dep_1", n, map[string]int{"bytes": 1}); err != nil {
			t.Fatal(err)
		}
	}
	var rep kit.Report
	r.Fill(&rep)
	if len(rep.Signals) != 2 || rep.Signals[1].Name != "installer.done" || len(rep.RecoveryKeys) != 1 {
		t.Fatalf("report %+v", rep)
	}
	plain, err := kit.Open(pub, priv, rep.RecoveryKeys[0].Sealed)
	if err != nil || string(plain) != "s3cret" || rep.RecoveryKeys[0].Device != "/dev/md1" {
		t.Errorf("sealed key opens to %q, %v", plain, err)
	}
}

func TestLines(t *testing.T) {
	var out strings.Builder
	l := &Lines{W: &out, Now: func() time.Time { return time.Unix(5, 0) }}
	fmt.Fprint(l, "ingot: writing image debian to /dev/vda\ningot:   writing 1.0 MiB / 2.0 MiB (50%)\nkernel noise\ningot: do")
	fmt.Fprint(l, "ne\n")
	ev := l.Events()
	if len(ev) != 2 || ev[0].Message != "writing image debian to /dev/vda" || ev[1].Message != "done" || !ev[1].Time.Equal(time.Unix(5, 0)) {
		t.Errorf("events %+v", ev)
	}
	if !strings.Contains(out.String(), "kernel noise") {
		t.Error("console output not passed through")
	}
}
