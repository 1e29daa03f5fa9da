package kit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/plan"
)

// ErrTampered marks a kit file whose bytes are not the ones the kit
// manifest lists.
var ErrTampered = errors.New("kit file does not match the signed kit manifest")

// CheckFile verifies one kit file against its manifest entry and returns
// its bytes when small (plans, manifests); big files are only hashed.
func (m *Manifest) CheckFile(fsys fs.FS, p string) error {
	_, err := m.read(fsys, p, false)
	return err
}

// ReadFile returns the bytes of kit file p after checking them against
// the kit manifest.
func (m *Manifest) ReadFile(fsys fs.FS, p string) ([]byte, error) {
	return m.read(fsys, p, true)
}

func (m *Manifest) read(fsys fs.FS, p string, keep bool) ([]byte, error) {
	want, ok := m.File(p)
	if !ok {
		return nil, fmt.Errorf("kit file %s: not listed in the kit manifest: %w", p, ErrTampered)
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("kit file %s: %w (the kit is incomplete: rebuild it)", p, err)
	}
	defer f.Close()
	h := sha256.New()
	var r io.Reader = f
	var buf []byte
	if keep {
		if buf, err = io.ReadAll(io.LimitReader(f, 64<<20)); err != nil {
			return nil, fmt.Errorf("kit file %s: %w", p, err)
		}
		h.Write(buf)
	} else if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("kit file %s: %w", p, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return nil, fmt.Errorf("kit file %s: sha256 %s, the kit manifest says %s: %w; nothing was written: rebuild the kit (ingot media build --site-kit)", p, got[:16], want.SHA256[:16], ErrTampered)
	}
	return buf, nil
}

// Load reads and checks everything host h needs: its plan, its image
// manifest (verified with the plan's image key) and every chunk of the
// image, before anything is written. Progress gets each checked path.
func (m *Manifest) Load(fsys fs.FS, h Host, progress func(done, total int)) (plan.Plan, *manifest.Manifest, error) {
	var p plan.Plan
	raw, err := m.ReadFile(fsys, h.Plan)
	if err != nil {
		return p, nil, err
	}
	if err := decodeStrict(raw, &p); err != nil {
		return p, nil, fmt.Errorf("kit file %s: %w", h.Plan, err)
	}
	if p.Deployment != h.Deployment || p.Image.ID != h.Image {
		return p, nil, fmt.Errorf("kit file %s: plan of deployment %s image %s, the kit manifest says %s image %s: %w", h.Plan, p.Deployment, p.Image.ID, h.Deployment, h.Image, ErrTampered)
	}
	signed, err := m.ReadFile(fsys, ManifestPath(h.Image))
	if err != nil {
		return p, nil, err
	}
	pub, err := manifest.ParsePublicKey([]byte(p.Image.PublicKey))
	if err != nil {
		return p, nil, fmt.Errorf("kit file %s: image key: %w", h.Plan, err)
	}
	im, err := verifyImage(signed, pub, h.Image)
	if err != nil {
		return p, nil, err
	}
	hashes := im.Hashes()
	for i, c := range hashes {
		if err := m.CheckFile(fsys, ChunkPath(c.String())); err != nil {
			return p, nil, err
		}
		if progress != nil {
			progress(i+1, len(hashes))
		}
	}
	return p, im, nil
}

func verifyImage(signed []byte, pub ed25519.PublicKey, id string) (*manifest.Manifest, error) {
	if manifest.Digest(signed) != id {
		return nil, fmt.Errorf("kit file %s: digest is not image %s: %w", ManifestPath(id), id, ErrTampered)
	}
	im, err := manifest.Verify(signed, pub)
	if err != nil {
		return nil, fmt.Errorf("kit file %s: %w", ManifestPath(id), err)
	}
	return im, nil
}
