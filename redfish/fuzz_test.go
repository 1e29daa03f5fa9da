package redfish

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"ingot.dev/ingot/redfish/emulator"
)

// FuzzBMCMessage feeds arbitrary error bodies to the parser that turns a
// BMC's Redfish error (message and @Message.ExtendedInfo) into the text of
// Ingot's errors. The text must be short, valid UTF-8 without control
// characters, and start with the BMC's own message when that is plain.
func FuzzBMCMessage(f *testing.F) {
	for _, seed := range []string{
		`{"error":{"code":"Base.1.8.GeneralError","message":"A general error has occurred. See ExtendedInfo for more information.",` +
			`"@Message.ExtendedInfo":[{"MessageId":"Base.1.8.PropertyValueNotInList","Message":"The value Cdrom for the property BootSourceOverrideTarget is not in the list of acceptable values.","Severity":"Warning","Resolution":"Choose a value from the enumeration list."}]}}`,
		`{"error":{"code":"iLO.0.10.ExtendedInfo","message":"See @Message.ExtendedInfo for more information.","@Message.ExtendedInfo":[{"MessageId":"iLO.2.14.UnsupportedOperation"}]}}`,
		`{"error":{"message":"injected failure"}}`,
		`{"error":{"message":"` + strings.Repeat("é", 200) + `"}}`,
		`{"error":{"message":"line one\nline two\u001b[31m red"}}`,
		`{"error":{"@Message.ExtendedInfo":[{"Message":"only extended"},{"Message":"only extended"},{}]}}`,
		`{"error":"not an object"}`,
		`<html><body>502 Bad Gateway</body></html>`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg := bmcMessage(body)
		if len(msg) > maxMessage+len("...") {
			t.Fatalf("message of %d bytes: %q", len(msg), msg)
		}
		if !utf8.ValidString(msg) {
			t.Fatalf("message is not valid UTF-8: %q", msg)
		}
		if i := strings.IndexFunc(msg, unicode.IsControl); i >= 0 {
			t.Fatalf("message has a control character at %d: %q", i, msg)
		}
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil {
			m := strings.TrimSpace(e.Error.Message)
			if len(m) <= maxMessage && strings.IndexFunc(m, unicode.IsControl) < 0 && !strings.HasPrefix(msg, m) {
				t.Fatalf("message %q does not start with the BMC's %q", msg, m)
			}
		}
	})
}

// fuzzPaths are the resources whose JSON the client reads itself (beyond
// gofish's decoding): the service root, collections, the system, the
// manager, the virtual media slot and the session login.
var fuzzPaths = []string{
	"GET /redfish/v1/",
	"GET /redfish/v1/Systems",
	"GET /redfish/v1/Systems/437XR1138R2",
	"GET /redfish/v1/Managers",
	"GET /redfish/v1/Managers/BMC",
	"GET /redfish/v1/Managers/BMC/VirtualMedia",
	"GET /redfish/v1/Managers/BMC/VirtualMedia/CD1",
	"POST /redfish/v1/SessionService/Sessions",
	"PATCH /redfish/v1/Systems/437XR1138R2",
}

// FuzzClientAnswers serves an emulated BMC whose answer to one resource is
// replaced by arbitrary bytes and status, and drives the client through
// login, power, a verified boot override, media and inventory. Nothing may
// panic, and every error must be an *Error naming the BMC and the call.
func FuzzClientAnswers(f *testing.F) {
	f.Add(uint8(0), 200, []byte(`{"Links":{"Sessions":{"@odata.id":"/redfish/v1/SessionService/Sessions"}}}`))
	f.Add(uint8(1), 200, []byte(`{"Members":[{"@odata.id":"https://[::1]:99999/x"}]}`))
	f.Add(uint8(1), 200, []byte(`{"Members":[]}`))
	f.Add(uint8(2), 200, []byte(`{"PowerState":"On","Boot":{"BootSourceOverrideTarget@Redfish.AllowableValues":["Pxe"]},"@Redfish.Settings":{"SettingsObject":{"@odata.id":"/x"}}}`))
	f.Add(uint8(2), 200, []byte(`{"Actions":{"#ComputerSystem.Reset":{"target":17}}}`))
	f.Add(uint8(6), 200, []byte(`{"Image":null,"Inserted":"yes","MediaTypes":["CD"],"Actions":{"#VirtualMedia.InsertMedia":{"target":"%zz"}}}`))
	f.Add(uint8(7), 201, []byte(`{}`))
	f.Add(uint8(8), 412, []byte(`{"error":{"message":"precondition"}}`))
	f.Add(uint8(3), 200, []byte(`{"Members":[{"@odata.id":null}]`))
	srv := emulator.New(emulator.Config{Username: "admin", Password: "pw", Machine: fuzzMachine{},
		Identity: emulator.Identity{UUID: "38947555-7742-3448-3784-823347823834", Serial: "S1", MACs: []string{"12:44:6A:3B:04:11"}}})
	var answer struct {
		key    string
		status int
		body   []byte
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method+" "+r.URL.Path == answer.key {
			w.Header().Set("X-Auth-Token", "t")
			w.WriteHeader(answer.status)
			_, _ = w.Write(answer.body)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	f.Cleanup(ts.Close)
	f.Fuzz(func(t *testing.T, which uint8, status int, body []byte) {
		if status < 200 || status > 599 {
			status = 200
		}
		answer.key, answer.status, answer.body = fuzzPaths[int(which)%len(fuzzPaths)], status, body
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cfg := Config{Endpoint: ts.URL, Username: "admin", Password: "pw", Retry: Retry{Attempts: 1},
			Timeout: time.Second, GracefulTimeout: time.Millisecond, PollInterval: time.Millisecond}
		c, err := Connect(ctx, cfg)
		checkFuzzError(t, "connect", err)
		if err != nil {
			return
		}
		defer func() { _ = c.Close(ctx) }()
		_, err = c.PowerState(ctx)
		checkFuzzError(t, "power state", err)
		checkFuzzError(t, "boot override", c.SetBootOverride(ctx, BootOverride{Target: BootPxe}))
		checkFuzzError(t, "insert media", c.InsertMedia(ctx, "http://10.0.0.1/i.iso"))
		_, err = c.Inventory(ctx)
		checkFuzzError(t, "inventory", err)
	})
}

func checkFuzzError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.BMC == "" || e.Call == "" || !strings.Contains(err.Error(), "bmc 127.0.0.1:") {
		t.Fatalf("%s: error %q (%T) does not name the BMC and the call", what, err, err)
	}
}

// fuzzMachine is a machine that is always on and takes everything.
type fuzzMachine struct{}

func (fuzzMachine) PowerOn(context.Context) (bool, error)       { return true, nil }
func (fuzzMachine) Reset(context.Context, string, string) error { return nil }
func (fuzzMachine) InsertMedia(context.Context, string) error   { return nil }
func (fuzzMachine) EjectMedia(context.Context) error            { return nil }
