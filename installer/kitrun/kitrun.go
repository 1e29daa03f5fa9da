// Package kitrun is the installer's offline half of a site kit: it picks
// the kit host this machine is (or asks on the console), stands in for the
// server during the install (plan, inventory, signals, recovery keys sealed
// to the server), and assembles the signed report left on the stick.
package kitrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/installer/plan"
)

// Recorder answers the installer's server calls from the kit and records
// what the installer reports, for the report.
type Recorder struct {
	Plan      plan.Plan
	ReportKey []byte // the server's X25519 key from the kit manifest

	mu       sync.Mutex
	signals  []api.Signal
	keys     []kit.SealedKey
	progress *api.Signal
}

// Do serves the installer API offline: the plan, the inventory and the
// recovery-key escrow (sealed to the server before it is kept).
func (r *Recorder) Do(_ context.Context, method, path string, in, out any) error {
	switch {
	case method == http.MethodGet && path == "/v1/installer/plan":
		return roundTrip(r.Plan, out)
	case method == http.MethodPost && path == "/v1/installer/inventory":
		return nil // the report carries the inventory
	case method == http.MethodPost && path == "/v1/installer/recovery-keys":
		return r.escrow(in)
	}
	return fmt.Errorf("%s %s: not available when installing from a site kit", method, path)
}

type escrowBody struct {
	Keys []struct {
		Volume     string `json:"volume"`
		Device     string `json:"device,omitempty"`
		Passphrase string `json:"passphrase"`
	} `json:"keys"`
}

func (r *Recorder) escrow(in any) error {
	var b escrowBody
	if err := roundTrip(in, &b); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range b.Keys {
		sealed, err := kit.Seal(r.ReportKey, []byte(k.Passphrase))
		if err != nil {
			return fmt.Errorf("sealing the recovery key of volume %s: %w", k.Volume, err)
		}
		r.keys = append(r.keys, kit.SealedKey{Volume: k.Volume, Device: k.Device, Sealed: sealed})
	}
	return nil
}

// Signal records a signal; of installer.progress only the latest is kept.
func (r *Recorder) Signal(_ context.Context, _ string, name string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	s := api.Signal{Name: name, Data: raw, Time: time.Now().UTC()}
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "installer.progress" {
		r.progress = &s
		return nil
	}
	r.signals = append(r.signals, s)
	return nil
}

// Fill puts what was recorded into the report.
func (r *Recorder) Fill(rep *kit.Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.progress != nil {
		rep.Signals = append(rep.Signals, *r.progress)
	}
	rep.Signals = append(rep.Signals, r.signals...)
	rep.RecoveryKeys = append(rep.RecoveryKeys, r.keys...)
}

func roundTrip(in, out any) error {
	if out == nil {
		return nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// PCRs reads the TPM's sha256 PCR bank from sysfs (index → hex); nil
// without a TPM.
func PCRs(sys string) map[string]string {
	dir := filepath.Join(sys, "class/tpm/tpm0/pcr-sha256")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			out[e.Name()] = strings.ToLower(strings.TrimSpace(string(b)))
		}
	}
	return out
}

// ErrNothingChosen is returned when the operator picks no host.
var ErrNothingChosen = errors.New("no host chosen: nothing was written")
