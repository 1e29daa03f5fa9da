package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
)

// TestRecoveryEscrow: the installer of a deployment escrows its volumes'
// recovery passphrases; only host:recovery:<host> reads them back, every
// read is audited, and an installer token of the wrong host or MAC cannot
// escrow.
func TestRecoveryEscrow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d, installer := e.deployWeb1()
	body := api.RecoveryEscrow{Keys: []api.RecoveryKey{{Volume: "crypt", Device: "/dev/md/md-data", Passphrase: "p4ss-phrase"}}}
	post := func(c *client.Client, b any) error {
		return c.Do(ctx, http.MethodPost, "/v1/installer/recovery-keys", nil, b, nil)
	}
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"another MAC", post(e.installerToken(d.ID, "web-1").WithHeader("X-Ingot-MAC", "52:54:00:00:00:99"), body), 403},
		{"another host's token", post(e.installerToken(d.ID, "web-2").WithHeader("X-Ingot-MAC", "52:54:00:00:00:01"), body), 403},
		{"an API token", post(e.admin, body), 403},
		{"no passphrase", post(installer, api.RecoveryEscrow{Keys: []api.RecoveryKey{{Volume: "crypt"}}}), 422},
		{"bad volume name", post(installer, api.RecoveryEscrow{Keys: []api.RecoveryKey{{Volume: "../x", Passphrase: "p"}}}), 422},
		{"the installer", post(installer, body), 200},
	}
	for _, tt := range tests {
		if got := status(tt.err); got != tt.status {
			t.Errorf("%s: status %d (%v), want %d", tt.name, got, tt.err, tt.status)
		}
	}

	for _, c := range []struct {
		scopes []string
		status int
	}{
		{[]string{"host:read"}, 403},
		{[]string{"host:recovery:web-2"}, 403},
		{[]string{"hostgroup:manage:web", "hostgroup:deploy:web"}, 403},
		{[]string{"host:recovery:web-*"}, 200},
		{[]string{"admin"}, 200},
	} {
		keys, err := e.token(c.scopes...).RecoveryKeys(ctx, "web-1")
		if got := status(err); got != c.status {
			t.Errorf("read with %v: status %d (%v), want %d", c.scopes, got, err, c.status)
			continue
		}
		if err == nil && (len(keys) != 1 || keys[0].Passphrase != "p4ss-phrase" || keys[0].Deployment != d.ID || keys[0].Host != "web-1") {
			t.Errorf("read with %v: %+v", c.scopes, keys)
		}
	}
	p, err := e.admin.Audit(ctx, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, a := range p.Items {
		if a.Method == http.MethodGet && strings.HasSuffix(a.Path, "/recovery-keys") {
			reads++
		}
	}
	if reads != 5 {
		t.Errorf("%d reads of recovery keys in the audit log, want all 5 (refused ones too)", reads)
	}
}
