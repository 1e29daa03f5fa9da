// Package boot is the contract shared by Ingot's netboot servers (DHCP, HTTP
// boot) and the server that knows the hosts: what a network-booting machine
// should get, and which firmware is asking.
package boot

import (
	"context"
	"net"
	"net/url"

	"ingot.dev/ingot/api"
)

// Resolver tells the netboot servers what a machine should boot. The Ingot
// server implements it from its host and deployment state.
//
// An unknown MAC is not an error: return Target{Known: false} and the machine
// is sent to the installer in discovery mode. Return an error to have the
// machine ignored (no DHCP answer, HTTP 503).
type Resolver interface {
	Resolve(ctx context.Context, mac net.HardwareAddr) (Target, error)
}

// Target is what one machine should boot.
type Target struct {
	// Known says the MAC belongs to a registered host. Unknown machines are
	// rate limited harder and always boot discovery.
	Known bool
	// Host is the host name, for logs and the installer (may be empty).
	Host string
	// Decision is what the machine boots: installer, local, discovery or
	// hold. Empty means discovery for unknown hosts and local for known ones.
	Decision api.BootDecision
	// Deployment is the deployment the installer runs (Decision installer).
	Deployment api.DeploymentID
	// Token is the one-time installer token secret (Decision installer).
	Token string
	// BaseURL is the server's base URL as the installer reaches it
	// (scheme://host[:port][/prefix]). Nil means the netboot HTTP base.
	BaseURL *url.URL
	// KernelArgs are extra installer kernel arguments (key=value words).
	KernelArgs []string
}

// EffectiveDecision returns the decision to act on: unknown hosts always get
// discovery; an empty decision means local for known hosts.
func (t Target) EffectiveDecision() api.BootDecision {
	switch {
	case !t.Known:
		return api.BootDiscovery
	case t.Decision == "":
		return api.BootLocal
	}
	return t.Decision
}
