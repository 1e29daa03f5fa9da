package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
)

// discoveryPoll is how often a discovered machine asks again.
const discoveryPoll = 15

type discoveryInput struct {
	Body plan.Discovery
}

// registerDiscovery serves POST /v1/discovery: an unknown machine that
// booted the installer in discovery mode reports its inventory. It needs
// no token (the machine has none), so it is rate limited per MAC.
func (a *API) registerDiscovery() {
	lim := &perKeyLimiter{every: time.Second, burst: 3, last: map[string][]time.Time{}}
	huma.Register(a.huma, huma.Operation{OperationID: "discover", Method: http.MethodPost, Path: "/v1/discovery", Tags: []string{"installer"},
		Summary: "An unknown machine reports its inventory (no token; rate limited per MAC)", MaxBodyBytes: 256 << 10,
		Security: []map[string][]string{}, Metadata: map[string]any{"public": true}},
		func(ctx context.Context, in *discoveryInput) (*bodyOutput[plan.DiscoveryReply], error) {
			macs, err := parseMACs(in.Body.MACs)
			if err != nil {
				return nil, err
			}
			if !lim.allow(macs[0].String(), a.Now()) {
				return nil, huma.Error429TooManyRequests("too many discovery reports from " + macs[0].String() + "; slow down")
			}
			readOnlyCall(ctx) // no token, no actor: the host record itself is the trace
			r, err := a.discover(ctx, macs, in.Body.Inventory)
			return &bodyOutput[plan.DiscoveryReply]{r}, a.problem(ctx, err)
		})
}

func parseMACs(ss []string) ([]api.MAC, error) {
	if len(ss) == 0 {
		return nil, invalid("no MAC address", &huma.ErrorDetail{Location: "body.macs", Message: "list the machine's MAC addresses"})
	}
	macs := make([]api.MAC, len(ss))
	for i, s := range ss {
		m, err := api.ParseMAC(s)
		if err != nil {
			return nil, invalid("bad MAC address", &huma.ErrorDetail{Location: fmt.Sprintf("body.macs[%d]", i), Message: err.Error(), Value: s})
		}
		macs[i] = m
	}
	return macs, nil
}

// discover records the inventory on the host owning one of the MACs, or
// registers a new discovered host, and says what the machine should do.
func (a *API) discover(ctx context.Context, macs []api.MAC, inv plan.Inventory) (plan.DiscoveryReply, error) {
	raw, err := json.Marshal(inv)
	if err != nil {
		return plan.DiscoveryReply{}, err
	}
	var h api.Host
	for _, m := range macs {
		if h, err = a.Store.GetHostByMAC(ctx, m); err == nil {
			break
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		h = api.Host{Name: "disc-" + strings.ReplaceAll(macs[0].String(), ":", ""), MACs: macs,
			State: api.HostDiscovered, Boot: api.BootDiscovery, Inventory: raw,
			Serial: inv.DMI.Serial, SystemUUID: validUUID(inv.DMI.UUID)}
		if _, err = a.Store.CreateHost(ctx, h); err != nil {
			return plan.DiscoveryReply{}, err
		}
		a.Log.InfoContext(ctx, "discovered a machine", "host", h.Name, "mac", macs[0].String())
		return plan.DiscoveryReply{Host: h.Name, Action: plan.ActionWait, Poll: discoveryPoll}, nil
	}
	if err != nil {
		return plan.DiscoveryReply{}, err
	}
	h.Inventory = raw
	if _, err := a.Store.UpdateHost(ctx, h); err != nil {
		return plan.DiscoveryReply{}, err
	}
	return a.discoveryAction(ctx, h)
}

// discoveryAction is what a known host's booted medium should do: install
// the deployment waiting for its installer (with the deployment's token,
// the trust PXE gives the same MAC), boot the installed disk once the
// installer is done or the host deployed, or wait.
func (a *API) discoveryAction(ctx context.Context, h api.Host) (plan.DiscoveryReply, error) {
	wait := plan.DiscoveryReply{Host: h.Name, Action: plan.ActionWait, Poll: discoveryPoll}
	local := plan.DiscoveryReply{Host: h.Name, Action: plan.ActionLocal}
	switch {
	case h.Boot == api.BootLocal && h.State == api.HostDeployed:
		return local, nil
	case h.Boot != api.BootInstaller && h.Boot != api.BootLocal:
		return wait, nil
	}
	d, err := a.Store.ActiveDeployment(ctx, h.Name)
	if errors.Is(err, store.ErrNotFound) {
		return wait, nil // a failed install leaves the host on the installer: hold it
	}
	if err != nil {
		return plan.DiscoveryReply{}, err
	}
	if h.Boot == api.BootLocal { // the deployment is past its installer
		return local, nil
	}
	past, err := a.installerEnded(ctx, d.ID)
	switch {
	case err != nil:
		return plan.DiscoveryReply{}, err
	case past == steps.SignalInstallerDone: // rebooted before boot-disk ran
		return local, nil
	case past != "": // failed: hold, the deployment compensates
		return wait, nil
	case a.InstallerSecret == nil: // no token to give: the PXE path
		return plan.DiscoveryReply{Host: h.Name, Action: plan.ActionInstall}, nil
	}
	return plan.DiscoveryReply{Host: h.Name, Action: plan.ActionInstall, Deployment: d.ID, Token: a.InstallerSecret(d.ID)}, nil
}

// installerEnded is the name of the deployment's installer.done or
// installer.failed signal, or "" while its installer has not ended.
func (a *API) installerEnded(ctx context.Context, id api.DeploymentID) (string, error) {
	sigs, err := a.Store.Signals(ctx, id)
	if err != nil {
		return "", fmt.Errorf("reading the signals of %s: %w", id, err)
	}
	for _, s := range sigs {
		if s.Name == steps.SignalInstallerDone || s.Name == steps.SignalInstallerFailed {
			return s.Name, nil
		}
	}
	return "", nil
}

func validUUID(s string) string {
	if len(s) >= 32 && len(s) <= 36 && strings.Trim(strings.ToLower(s), "0123456789abcdef-") == "" {
		return s
	}
	return ""
}

// perKeyLimiter allows burst events per key within every·burst, so one
// flooding MAC cannot crowd out the rest.
type perKeyLimiter struct {
	every time.Duration
	burst int
	mu    sync.Mutex
	last  map[string][]time.Time
}

func (l *perKeyLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) > 100000 {
		clear(l.last)
	}
	window := l.every * time.Duration(l.burst)
	kept := l.last[key][:0]
	for _, t := range l.last[key] {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= l.burst {
		l.last[key] = kept
		return false
	}
	l.last[key] = append(kept, now)
	return true
}
