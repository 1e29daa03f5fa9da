package server

import (
	"context"
	"fmt"
	"log/slog"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/steps"
)

// credentials reads a stored credential and its sealed password.
type credentials interface {
	GetCredential(ctx context.Context, name string) (api.Credential, []byte, error)
}

// bmcConnector opens Redfish sessions with hosts' BMCs, logging in with the
// host's stored credential, unsealed only for the call.
type bmcConnector struct {
	creds credentials
	box   *secret.Box
	log   *slog.Logger
}

var _ steps.BMCs = (*bmcConnector)(nil)

// Connect implements steps.BMCs.
func (b *bmcConnector) Connect(ctx context.Context, h api.Host) (steps.BMC, error) {
	if h.BMC == nil || h.BMC.Endpoint == "" {
		return nil, fmt.Errorf("host %s has no BMC endpoint", h.Name)
	}
	cfg := redfish.Config{Endpoint: h.BMC.Endpoint, Logger: b.log.With("bmc", h.BMC.Endpoint)}
	if name := h.BMC.Credential; name != "" {
		cred, sealed, err := b.creds.GetCredential(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("reading credential %s of host %s: %w", name, h.Name, err)
		}
		pw, err := b.box.Open(sealed, []byte("credential:"+name))
		if err != nil {
			return nil, fmt.Errorf("unsealing credential %s of host %s: %w", name, h.Name, err)
		}
		cfg.Username, cfg.Password = cred.Username, redfish.Secret(pw)
	}
	c, err := redfish.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}
