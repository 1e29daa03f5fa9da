package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
)

type escrowInput struct {
	MAC  string `header:"X-Ingot-MAC" doc:"The MAC the installer booted from; must be one of the host's."`
	Body api.RecoveryEscrow
}

type recoveryKeys struct {
	Keys []api.RecoveryKey `json:"keys"`
}

// opReadRecoveryKeys is audited although it changes nothing: every read of
// a recovery key is in the audit log.
const opReadRecoveryKeys = "get-host-recovery-keys"

func (a *API) registerRecovery() {
	huma.Register(a.huma, huma.Operation{OperationID: "installer-escrow-recovery-keys", Method: http.MethodPost, Path: "/v1/installer/recovery-keys",
		Tags: []string{"installer"}, DefaultStatus: http.StatusNoContent, MaxBodyBytes: 64 << 10,
		Summary: "Escrow the recovery passphrases of the LUKS volumes the installer made"},
		func(ctx context.Context, in *escrowInput) (*struct{}, error) {
			d, err := a.installerDeployment(ctx, in.MAC)
			if err != nil {
				return nil, err
			}
			return nil, a.escrow(ctx, d, in.Body.Keys)
		})
	huma.Register(a.huma, huma.Operation{OperationID: opReadRecoveryKeys, Method: http.MethodGet, Path: "/v1/hosts/{name}/recovery-keys",
		Tags: []string{"hosts"}, Summary: "Read a host's escrowed LUKS recovery passphrases (scope host:recovery:<name>; audited)"},
		func(ctx context.Context, in *nameInput) (*bodyOutput[recoveryKeys], error) {
			if err := require(ctx, "host:recovery:"+in.Name); err != nil {
				return nil, err
			}
			keys, err := a.recoveryKeys(ctx, in.Name)
			return &bodyOutput[recoveryKeys]{recoveryKeys{keys}}, a.problem(ctx, err)
		})
}

func (a *API) escrow(ctx context.Context, d api.Deployment, keys []api.RecoveryKey) error {
	for i, k := range keys {
		if k.Passphrase == "" {
			return invalid("recovery key without passphrase", &huma.ErrorDetail{Location: fmt.Sprintf("body.keys[%d].passphrase", i), Message: "is required"})
		}
		k.Host, k.Deployment = d.Host, d.ID
		sealed, err := a.Box.Seal([]byte(k.Passphrase), recoveryAD(k.Host, k.Volume))
		if err != nil {
			return a.problem(ctx, err)
		}
		if _, err := a.Store.PutRecoveryKey(ctx, k, sealed); err != nil {
			return a.problem(ctx, err)
		}
	}
	return nil
}

func (a *API) recoveryKeys(ctx context.Context, host string) ([]api.RecoveryKey, error) {
	if _, err := a.Store.GetHost(ctx, host); err != nil {
		return nil, err
	}
	keys, sealed, err := a.Store.RecoveryKeys(ctx, host)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		pass, err := a.Box.Open(sealed[i], recoveryAD(host, keys[i].Volume))
		if err != nil {
			return nil, fmt.Errorf("opening the recovery key of %s volume %s: %w", host, keys[i].Volume, err)
		}
		keys[i].Passphrase = string(pass)
	}
	return keys, nil
}

// recoveryAD binds a sealed key to its host and volume: a sealed value
// copied to another row does not open.
func recoveryAD(host, volume string) []byte { return []byte("recovery:" + host + ":" + volume) }
