package api

import "time"

// RecoveryKey is the escrowed recovery passphrase of one LUKS2 volume of a
// host: the installer posts it, the server keeps it sealed, and only a
// token with scope host:recovery:<host> reads it back (every read is in the
// audit log).
type RecoveryKey struct {
	Host       string       `json:"host" readOnly:"true"`
	Volume     string       `json:"volume" pattern:"^[a-z0-9][a-z0-9_-]{0,30}$" doc:"The LUKS volume's name in the layout (its /dev/mapper name)."`
	Device     string       `json:"device,omitempty" maxLength:"256" doc:"The block device holding the LUKS header, as the installer saw it."`
	Deployment DeploymentID `json:"deployment,omitempty" readOnly:"true"`
	Passphrase string       `json:"passphrase,omitempty" maxLength:"512" doc:"The passphrase of the volume's recovery keyslot (0); write-only except for host:recovery:<host>."`
	CreatedAt  time.Time    `json:"created_at,omitzero" readOnly:"true"`
}

// RecoveryEscrow is what the installer posts: the recovery passphrases of
// the LUKS volumes it made.
type RecoveryEscrow struct {
	Keys []RecoveryKey `json:"keys" minItems:"1" maxItems:"64"`
}
