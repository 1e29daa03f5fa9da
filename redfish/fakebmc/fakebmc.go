// Package fakebmc is test support: a Redfish BMC on an httptest server on
// loopback, with an in-memory machine behind it, switchable vendor quirks
// (redfish/emulator) and injectable faults (slow answers, 5xx bursts,
// malformed JSON). Every request is counted.
package fakebmc

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ingot.dev/ingot/redfish/emulator"
)

// Credentials the fake accepts.
const (
	User     = "admin"
	Password = "s3cret-Pa55"
)

// Faults are injected before the Redfish service sees a request.
type Faults struct {
	// Delay holds every answer this long.
	Delay time.Duration
	// Fail5xx answers the next N requests with this status (503, 500...).
	Fail5xx    int
	FailStatus int
	// Malformed answers the next N GETs with truncated JSON.
	Malformed int
	// Drop closes the connection of the next N requests without answering.
	Drop int
}

// BMC is a running fake.
type BMC struct {
	*emulator.Server
	Machine *Machine
	srv     *httptest.Server
	calls   atomic.Int64

	mu       sync.Mutex
	faults   Faults
	log      []string  // "METHOD /path"
	requests []Request // with their answers
}

// Request is one request the fake answered.
type Request struct {
	Method, Path string
	Status       int // 0: the connection was dropped
}

func (r Request) String() string { return fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status) }

// Options configure a fake.
type Options struct {
	Quirks emulator.Quirks
	TLS    bool // serve https with httptest's self-signed certificate
	// Identity is the machine's inventory; zero: DefaultIdentity.
	Identity emulator.Identity
	// Machine drives another machine than the in-memory one (BMC.Machine
	// is then nil).
	Machine emulator.Machine
}

// DefaultIdentity is the machine of the DMTF public-rackmount1 mockup.
var DefaultIdentity = emulator.Identity{
	UUID: "38947555-7742-3448-3784-823347823834", Serial: "437XR1138R2",
	Manufacturer: "Contoso", Model: "3500", Firmware: "1.00",
	MACs:  []string{"12:44:6A:3B:04:11", "12:44:6A:3B:04:12"},
	Disks: []emulator.DiskInfo{{Model: "3000GT8", Serial: "72D0A037FRD26", SizeBytes: 899527000000}},
}

// New starts a fake BMC on 127.0.0.1; it stops when the test ends.
func New(t testing.TB, opts Options) *BMC {
	t.Helper()
	b := &BMC{}
	var m emulator.Machine = opts.Machine
	if m == nil {
		b.Machine = &Machine{}
		m = b.Machine
	}
	id := opts.Identity
	if id.Serial == "" && id.UUID == "" {
		id = DefaultIdentity
	}
	b.Server = emulator.New(emulator.Config{Username: User, Password: Password, Machine: m, Quirks: opts.Quirks, Identity: id})
	b.srv = httptest.NewUnstartedServer(b.faulty(b.Server))
	b.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS handshake failures are expected
	if opts.TLS {
		b.srv.StartTLS()
	} else {
		b.srv.Start()
	}
	t.Cleanup(b.srv.Close)
	return b
}

// URL is the base URL (http://127.0.0.1:PORT or https://...).
func (b *BMC) URL() string { return b.srv.URL }

// TLS returns the test server, for its certificate.
func (b *BMC) TLS() *httptest.Server { return b.srv }

// SetFaults replaces the injected faults.
func (b *BMC) SetFaults(f Faults) {
	b.mu.Lock()
	b.faults = f
	b.mu.Unlock()
}

// Calls is the number of requests the fake received.
func (b *BMC) Calls() int64 { return b.calls.Load() }

// Requests returns every request answered so far, with its status.
func (b *BMC) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...)
}

// Rejected returns the requests answered with a status of 400 or more.
func (b *BMC) Rejected() []Request {
	var out []Request
	for _, r := range b.Requests() {
		if r.Status >= 400 {
			out = append(out, r)
		}
	}
	return out
}

// Log returns "METHOD /path" for every request so far.
func (b *BMC) Log() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.log...)
}

func (b *BMC) faulty(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := &statusWriter{ResponseWriter: rw}
		defer func() {
			b.mu.Lock()
			b.requests = append(b.requests, Request{Method: r.Method, Path: r.URL.Path, Status: w.status})
			b.mu.Unlock()
		}()
		b.calls.Add(1)
		b.mu.Lock()
		b.log = append(b.log, r.Method+" "+r.URL.Path)
		f := &b.faults
		delay := f.Delay
		var status int
		malformed, drop := false, false
		switch {
		case f.Drop > 0:
			f.Drop--
			drop = true
		case f.Fail5xx > 0:
			f.Fail5xx--
			status = f.FailStatus
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
		case f.Malformed > 0 && r.Method == http.MethodGet:
			f.Malformed--
			malformed = true
		}
		b.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case drop:
			if hj, ok := rw.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
		case status != 0:
			http.Error(w, `{"error":{"message":"injected failure"}}`, status)
		case malformed:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"@odata.id": "/redfish/v1/Sys`))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Machine is an in-memory machine: power and the last boot.
type Machine struct {
	mu       sync.Mutex
	on       bool
	resets   []string // "ResetType:boot"
	LastBoot string   // boot target of the last start
}

// PowerOn reports the power state.
func (m *Machine) PowerOn(context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on, nil
}

// Reset changes the power state like a real machine would.
func (m *Machine) Reset(_ context.Context, t, boot string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resets = append(m.resets, t+":"+boot)
	switch t {
	case "ForceOff", "GracefulShutdown":
		m.on = false
	default:
		m.on = true
		m.LastBoot = boot
	}
	return nil
}

// SetPower sets the power state directly.
func (m *Machine) SetPower(on bool) {
	m.mu.Lock()
	m.on = on
	m.mu.Unlock()
}

// Resets lists the resets so far, "ResetType:boot".
func (m *Machine) Resets() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.resets...)
}

// InsertMedia accepts any image.
func (m *Machine) InsertMedia(context.Context, string) error { return nil }

// EjectMedia always works.
func (m *Machine) EjectMedia(context.Context) error { return nil }
