package install

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/report"
)

// Discover posts the machine to the server until it says what to do, and
// returns the final reply: install (with a deployment and its token: install
// now; without: reboot into PXE), local (boot the installed disk) or
// poweroff.
// While the answer is "wait" it polls again after poll_seconds.
func Discover(ctx context.Context, c *report.Client, inv plan.Inventory, out io.Writer) (plan.DiscoveryReply, error) {
	con := &console{w: out}
	d := plan.Discovery{Inventory: inv}
	for _, n := range inv.NICs {
		d.MACs = append(d.MACs, n.MAC)
	}
	con.phase("discovery: reporting %d disks, %d NICs (%v) to %s", len(inv.Disks), len(inv.NICs), d.MACs, c.Base)
	for {
		var r plan.DiscoveryReply
		if err := c.Do(ctx, http.MethodPost, "/v1/discovery", d, &r); err != nil {
			return r, fail("discovery", err, "check ingot.server= and that the server is reachable from the provisioning network")
		}
		switch r.Action {
		case plan.ActionInstall, plan.ActionLocal, plan.ActionPoweroff:
			con.phase("discovery: server says %s (host %s)", r.Action, r.Host)
			return r, nil
		case plan.ActionWait, "":
			poll := time.Duration(max(r.Poll, 1)) * time.Second
			con.phase("discovery: known as %q; waiting %s for the server's decision", r.Host, poll)
			select {
			case <-ctx.Done():
				return r, ctx.Err()
			case <-time.After(poll):
			}
		default:
			return r, fail("discovery", fmt.Errorf("unknown action %q", r.Action), "upgrade the installer to match the server")
		}
	}
}
