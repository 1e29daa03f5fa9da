// Package sitekit is the server's half of air-gap site kits: the kit
// signing key and the report key (both derived from the server key), the
// signed kit manifest over the plans, image manifests and chunks a kit
// carries, and the opening of the reports and sealed recovery keys that
// come back on the stick.
package sitekit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"time"

	"golang.org/x/crypto/curve25519"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/kit"
)

// Keys are the server's kit keys.
type Keys struct {
	Sign       ed25519.PrivateKey // signs kit manifests
	ReportPub  [32]byte           // X25519: recovery keys on the stick are sealed to it
	reportPriv [32]byte
}

// NewKeys derives the kit keys from the server key (derive is
// secret.Box.Derive): every replica sharing the server key has them, and
// there is no new key file to back up.
func NewKeys(derive func(purpose string) []byte) (Keys, error) {
	k := Keys{Sign: ed25519.NewKeyFromSeed(derive("kit-signing"))}
	copy(k.reportPriv[:], derive("kit-report"))
	pub, err := curve25519.X25519(k.reportPriv[:], curve25519.Basepoint)
	if err != nil {
		return k, fmt.Errorf("deriving the kit report key: %w", err)
	}
	copy(k.ReportPub[:], pub)
	return k, nil
}

// SignPublic is the key installers check kit manifests with.
func (k Keys) SignPublic() ed25519.PublicKey { return k.Sign.Public().(ed25519.PublicKey) }

// OpenSealed decrypts a recovery key sealed to the report key.
func (k Keys) OpenSealed(sealed []byte) ([]byte, error) {
	return kit.Open(&k.ReportPub, &k.reportPriv, sealed)
}

// Source is where the server reads signed manifests and stored chunks.
type Source interface {
	// Manifest returns image id's signed manifest and its verified content.
	Manifest(id string) ([]byte, *manifest.Manifest, error)
	Chunk(ctx context.Context, h manifest.Hash) (io.ReadCloser, error)
}

// Spec is one kit to sign.
type Spec struct {
	ID       string
	Created  time.Time
	KitKey   ed25519.PublicKey
	KeepTang bool
	Hosts    []kit.Host
	Plans    map[string][]byte // host name → plan JSON
}

// Build lists and hashes every file of the kit (plans, the distinct image
// manifests, every stored chunk of those images, hashed as stored) and
// signs the manifest. It returns the manifest bytes and signature.
func (k Keys) Build(ctx context.Context, src Source, s Spec) (data, sig []byte, err error) {
	m := kit.Manifest{Format: kit.Format, ID: s.ID, Created: s.Created.UTC(), KitKey: s.KitKey, ReportKey: k.ReportPub[:], KeepTang: s.KeepTang, Hosts: s.Hosts}
	files := map[string]kit.File{}
	for _, h := range s.Hosts {
		files[h.Plan] = fileOf(h.Plan, s.Plans[h.Name])
		if _, ok := files[kit.ManifestPath(h.Image)]; ok {
			continue
		}
		if err := k.addImage(ctx, src, h.Image, files); err != nil {
			return nil, nil, err
		}
	}
	for _, f := range files {
		m.Files = append(m.Files, f)
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	return kit.Sign(m, k.Sign)
}

func (k Keys) addImage(ctx context.Context, src Source, id string, files map[string]kit.File) error {
	signed, im, err := src.Manifest(id)
	if err != nil {
		return fmt.Errorf("image %s: %w", id, err)
	}
	files[kit.ManifestPath(id)] = fileOf(kit.ManifestPath(id), signed)
	for _, h := range im.Hashes() {
		p := kit.ChunkPath(h.String())
		if _, ok := files[p]; ok {
			continue
		}
		f, err := hashChunk(ctx, src, h)
		if err != nil {
			return fmt.Errorf("image %s: %w", id, err)
		}
		f.Path = p
		files[p] = f
	}
	return nil
}

func hashChunk(ctx context.Context, src Source, h manifest.Hash) (kit.File, error) {
	rc, err := src.Chunk(ctx, h)
	if err != nil {
		return kit.File{}, fmt.Errorf("chunk %s: %w", h, err)
	}
	defer rc.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, rc)
	if err != nil {
		return kit.File{}, fmt.Errorf("chunk %s: %w", h, err)
	}
	return kit.File{Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

func fileOf(p string, b []byte) kit.File {
	s := sha256.Sum256(b)
	return kit.File{Path: p, Size: int64(len(b)), SHA256: hex.EncodeToString(s[:])}
}

// Service is Keys with the Source the kits' files come from.
type Service struct {
	Keys
	Src Source
}

// Build signs the kit s (see Keys.Build).
func (s Service) Build(ctx context.Context, spec Spec) (data, sig []byte, err error) {
	return s.Keys.Build(ctx, s.Src, spec)
}
