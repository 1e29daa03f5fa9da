package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"

	"ingot.dev/ingot/api"
)

// PutRecoveryKey creates or replaces the escrowed key of k.Host's volume
// k.Volume. Only sealed is kept; k.Passphrase is ignored and never stored.
func (s *Store) PutRecoveryKey(ctx context.Context, k api.RecoveryKey, sealed []byte) (api.RecoveryKey, error) {
	k.Passphrase, k.CreatedAt = "", s.stamp()
	err := s.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `INSERT INTO recovery_keys (host, volume, device, deployment, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (host, volume) DO UPDATE SET device = excluded.device, deployment = excluded.deployment,
		sealed = excluded.sealed, created_at = excluded.created_at`,
			k.Host, k.Volume, k.Device, string(k.Deployment), base64.StdEncoding.EncodeToString(sealed), micros(k.CreatedAt))
		return err
	})
	if err != nil {
		return api.RecoveryKey{}, fmt.Errorf("storing the recovery key of %s volume %s: %w", k.Host, k.Volume, err)
	}
	return k, nil
}

// RecoveryKeys returns the host's escrowed keys by volume name, each with
// its sealed passphrase; none is an empty list, not an error.
func (s *Store) RecoveryKeys(ctx context.Context, host string) ([]api.RecoveryKey, [][]byte, error) {
	rows, err := s.read().query(ctx, "SELECT host, volume, device, deployment, sealed, created_at FROM recovery_keys WHERE host = ? ORDER BY volume", host)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the recovery keys of %s: %w", host, err)
	}
	var sealed [][]byte
	keys, err := collect(rows, func(r scanner) (api.RecoveryKey, error) {
		var k api.RecoveryKey
		var dep, enc string
		var created int64
		if err := r.Scan(&k.Host, &k.Volume, &k.Device, &dep, &enc, &created); err != nil {
			return k, err
		}
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return k, fmt.Errorf("decoding the sealed recovery key of %s volume %s: %w", k.Host, k.Volume, err)
		}
		k.Deployment, k.CreatedAt = api.DeploymentID(dep), fromMicros(created)
		sealed = append(sealed, b)
		return k, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the recovery keys of %s: %w", host, err)
	}
	return keys, sealed, nil
}
