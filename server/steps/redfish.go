package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
)

// Kinds of the Redfish steps: bmc-boot boots a host through its BMC (from
// the network, or from its per-host ISO as virtual media); bmc-eject
// ejects that media once the installer is done.
const (
	KindBMCBoot  = "bmc-boot"
	KindBMCEject = "bmc-eject"
)

// CodeBMC is the StepError code of a failed BMC call.
const CodeBMC = "bmc"

// BMCs opens a session with a host's BMC. The server implements it with
// redfish.Connect and the host's stored credential.
type BMCs interface {
	Connect(ctx context.Context, host api.Host) (BMC, error)
}

// BMC is the part of *redfish.Client the Redfish steps use.
type BMC interface {
	BMC() string
	PowerState(ctx context.Context) (redfish.PowerState, error)
	SetBootOverride(ctx context.Context, o redfish.BootOverride) error
	ClearBootOverride(ctx context.Context) error
	PowerCycle(ctx context.Context, graceful bool) error
	PowerCycleFrom(ctx context.Context, state redfish.PowerState, graceful bool) error
	PowerOff(ctx context.Context, graceful bool) error
	InsertMedia(ctx context.Context, image string) error
	EjectMedia(ctx context.Context) error
	Close(ctx context.Context) error
}

// Media mints one-time URLs of a deployment's installer ISO for virtual
// media (server/hostmedia) and revokes them.
type Media interface {
	Mint(ctx context.Context, d api.Deployment) (api.MediaTicket, error)
	Revoke(id api.DeploymentID)
}

var _ BMC = (*redfish.Client)(nil)

// bmcError turns a failed BMC call into a StepError naming the BMC and the
// call. A redfish.Error already names both.
func bmcError(endpoint, call string, err error) error {
	msg := fmt.Sprintf("bmc %s: %s: %v", endpoint, call, err)
	var re *redfish.Error
	if errors.As(err, &re) {
		msg = re.Error()
	}
	return &api.StepError{Code: CodeBMC, Message: msg, Hint: bmcHint(err)}
}

func bmcHint(err error) string {
	switch {
	case errors.Is(err, redfish.ErrAuth):
		return "check the host's BMC credential (ingot credential put) and the BMC account"
	case errors.Is(err, redfish.ErrTLS):
		return "the BMC's certificate is not trusted: give the server its CA bundle"
	case errors.Is(err, redfish.ErrNotApplied):
		return "the BMC ignores boot overrides: run ingot bmc probe on it, or set the boot order by hand"
	case errors.Is(err, redfish.ErrUnsupported):
		return "the BMC does not offer this boot target or reset type: pick another boot path for the hostgroup"
	case redfish.Status(err) == http.StatusNotFound:
		return "the BMC's resources are not where they were (a firmware update?): run ingot bmc probe on the host to learn them again"
	}
	return "check that the BMC is reachable and healthy (its web UI, a BMC reset), then deploy the host again"
}
