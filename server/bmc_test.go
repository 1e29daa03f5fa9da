package server

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/fakebmc"
	"ingot.dev/ingot/server/secret"
)

type oneCredential struct {
	cred   api.Credential
	sealed []byte
}

func (o oneCredential) GetCredential(context.Context, string) (api.Credential, []byte, error) {
	return o.cred, o.sealed, nil
}

// The connector unseals the stored password, logs in with it, and never
// logs it, even at debug level and on failures.
func TestBMCConnectorNeverLogsCredentials(t *testing.T) {
	box, err := secret.LoadOrCreateKey(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal([]byte(fakebmc.Password), []byte("credential:ipmi"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := fakebmc.New(t, fakebmc.Options{})
	conn := &bmcConnector{creds: oneCredential{api.Credential{Name: "ipmi", Username: fakebmc.User}, sealed}, box: box, log: log}
	h := api.Host{Name: "h1", BMC: &api.BMC{Endpoint: b.URL(), Credential: "ipmi"}}
	c, err := conn.Connect(t.Context(), h)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if _, err := c.PowerState(t.Context()); err != nil {
		t.Fatal(err)
	}
	b.SetFaults(fakebmc.Faults{Fail5xx: 20, FailStatus: 500})
	_ = c.SetBootOverride(t.Context(), redfish.BootOverride{Target: redfish.BootPxe})
	_ = c.Close(t.Context())

	wrong := oneCredential{api.Credential{Name: "ipmi", Username: fakebmc.User}, sealed}
	wrong.sealed, _ = box.Seal([]byte("wrong-"+fakebmc.Password), []byte("credential:ipmi"))
	b.SetFaults(fakebmc.Faults{})
	_, err = (&bmcConnector{creds: wrong, box: box, log: log}).Connect(t.Context(), h)
	if err == nil {
		t.Fatal("Connect with a wrong password succeeded")
	}
	if strings.Contains(logs.String()+err.Error(), fakebmc.Password) {
		t.Errorf("a password leaked into the logs or errors:\n%s\n%v", logs.String(), err)
	}
}
