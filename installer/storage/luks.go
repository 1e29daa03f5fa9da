package storage

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"ingot.dev/ingot/installer/clevis"
	"ingot.dev/ingot/installer/layout"
)

// Binder makes a clevis JWE of a passphrase; clevis.Pins is one.
type Binder interface {
	Encrypt(ctx context.Context, pol clevis.Policy, plaintext []byte) (*clevis.JWE, error)
}

var _ Binder = clevis.Pins{}

// Keyslots Ingot uses: the recovery passphrase and the clevis binding.
const (
	RecoverySlot = 0
	ClevisSlot   = 1
)

// LUKS formats a LUKS2 volume with a random recovery passphrase (keyslot
// 0, for escrow) and binds a second random passphrase with clevis (keyslot
// 1, pbkdf2 with 1000 iterations as clevis does, and a clevis token).
type LUKS struct {
	R       Runner
	Binder  Binder
	Policy  clevis.Policy
	Volume  layout.PlannedLUKS
	TempDir string // where the key file briefly lives (a tmpfs in the installer)

	// Set by Do.
	Recovery string // the recovery passphrase, for the caller to escrow
	Key      string // the clevis-bound passphrase, to open the volume now
	created  bool
}

func (s *LUKS) String() string { return "luks2 " + s.Volume.Device }

// passphrase returns 32 random bytes in base64url, as `clevis luks bind`
// generates them.
func passphrase() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Do binds first (so an unreachable Tang fails before the disk is
// touched), then formats, adds the clevis keyslot and imports the token.
func (s *LUKS) Do(ctx context.Context) error {
	var err error
	if s.Recovery, err = passphrase(); err != nil {
		return err
	}
	if s.Key, err = passphrase(); err != nil {
		return err
	}
	jwe, err := s.Binder.Encrypt(ctx, s.Policy, []byte(s.Key))
	if err != nil {
		return err
	}
	dev := s.Volume.Device
	s.created = true
	if _, err := s.R.Run(ctx, []byte(s.Recovery), "cryptsetup", "luksFormat", "--type", "luks2", "--batch-mode",
		"--key-slot", strconv.Itoa(RecoverySlot), "--label", s.Volume.Name, "--key-file", "-", dev); err != nil {
		return err
	}
	keyFile, err := s.writeKey()
	if err != nil {
		return err
	}
	defer os.Remove(keyFile)
	if _, err := s.R.Run(ctx, []byte(s.Recovery), "cryptsetup", "luksAddKey", "--batch-mode", "--pbkdf", "pbkdf2",
		"--pbkdf-force-iterations", "1000", "--key-slot", strconv.Itoa(ClevisSlot), "--key-file", "-", dev, keyFile); err != nil {
		return err
	}
	tok, err := clevis.NewToken(ClevisSlot, jwe).MarshalJSON()
	if err != nil {
		return err
	}
	_, err = s.R.Run(ctx, tok, "cryptsetup", "token", "import", dev)
	return err
}

func (s *LUKS) writeKey() (string, error) {
	f, err := os.CreateTemp(s.TempDir, "ingot-key-")
	if err != nil {
		return "", err
	}
	_, werr := f.WriteString(s.Key)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return filepath.Clean(f.Name()), nil
}

// Undo erases the LUKS header Do created (every keyslot) and wipes its
// signature, so no half-encrypted disk is left that looks usable.
func (s *LUKS) Undo(ctx context.Context) error {
	if !s.created {
		return nil
	}
	_, errErase := s.R.Run(ctx, nil, "cryptsetup", "erase", "--batch-mode", s.Volume.Device)
	_, errWipe := s.R.Run(ctx, nil, "wipefs", "--all", s.Volume.Device)
	if errWipe != nil {
		return errors.Join(errErase, errWipe)
	}
	return nil
}

// Open opens a LUKS volume at its mapper name with the key its LUKS step
// made.
type Open struct {
	R    Runner
	LUKS *LUKS
}

func (s *Open) String() string { return "open " + s.LUKS.Volume.Mapper }

// Do runs cryptsetup open.
func (s *Open) Do(ctx context.Context) error {
	_, err := s.R.Run(ctx, []byte(s.LUKS.Key), "cryptsetup", "open", "--type", "luks2", "--key-file", "-",
		s.LUKS.Volume.Device, s.LUKS.Volume.Name)
	return err
}

// Undo closes the mapping.
func (s *Open) Undo(ctx context.Context) error {
	_, err := s.R.Run(ctx, nil, "cryptsetup", "close", s.LUKS.Volume.Name)
	return err
}
