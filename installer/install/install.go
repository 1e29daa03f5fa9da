// Package install runs the installer's two jobs against the Ingot server:
// discovery (report an unknown machine and follow the server's answer) and
// install (fetch the plan, report inventory, pick the disk, stream the image,
// grow it to the disk, write the host config and the first-boot phone-home,
// set the boot entry, report done).
package install

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/disk"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/report"
	"ingot.dev/ingot/installer/storage"
	"ingot.dev/ingot/installer/stream"
)

// Server is how the installer talks to the Ingot server: a report.Client
// online, a site kit's recorder offline.
type Server interface {
	Do(ctx context.Context, method, path string, in, out any) error
	Signal(ctx context.Context, id, name string, data any) error
}

var _ Server = (*report.Client)(nil)

// Config is one install run.
type Config struct {
	Client Server // the server (report.Client: URL and the deployment's token)
	// Source is where the image comes from; default the server's chunks
	// over HTTP (Client must then be a *report.Client).
	Source     stream.Source
	Deployment string
	Inventory  plan.Inventory
	// Target overrides the selected disk: a block device or, in tests, a
	// regular file standing for the disk (its filesystem is not grown).
	Target    string
	Firstboot string  // the program copied into the target as the phone-home
	Mounter   Mounter // default: mount(2) under /mnt/target
	Console   io.Writer
	// ConsoleLog returns what the console printed so far; it goes to the
	// server with installer.done. Optional.
	ConsoleLog func() string
	Log        *slog.Logger
	// ProgressEvery is the least time between progress signals; default 2s.
	ProgressEvery time.Duration
	// BootEntry sets the UEFI boot entry of the written disk; nil does nothing.
	BootEntry func(ctx context.Context, dev *os.File, size int64, esp int, host string) error
	// Runner runs the storage tools (sgdisk, mdadm, cryptsetup, lvm, mkfs,
	// chroot); default storage.Exec.
	Runner storage.Runner
	// Binder binds LUKS keys with clevis; default clevis.Pins with the
	// machine's TPM opened on demand.
	Binder storage.Binder
	// TargetDir is where a layout's filesystems are mounted while the
	// target is configured; default /mnt/target.
	TargetDir string
	// Kexec loads the kernel the mounted root tree boots, with cmdline, when
	// the plan asks to kexec into the installed system; nil never does.
	Kexec func(root, cmdline string) error

	cmdline string // the image's kernel command line, from its manifest
	layer   []byte // a host image's config layer (tar), verified
}

// Error is an install failure with the phase it happened in and a hint for
// the operator.
type Error struct {
	Phase string
	Err   error
	Hint  string
}

func (e *Error) Error() string { return e.Phase + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(phase string, err error, hint string) error {
	return &Error{Phase: phase, Err: err, Hint: hint}
}

// Hint returns the operator hint carried by err, if any.
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// Run installs the deployment and returns its plan (for the reboot action).
func Run(ctx context.Context, c Config) (plan.Plan, error) {
	con := &console{w: c.Console}
	var p plan.Plan
	con.phase("fetching the plan of deployment %s", c.Deployment)
	if err := c.Client.Do(ctx, http.MethodGet, "/v1/installer/plan", nil, &p); err != nil {
		return p, fail("plan", err, "check that the deployment is still running and its token not used or expired; redeploy the host")
	}
	con.phase("host %s, image %s", p.Host, p.Image.ID)
	if err := c.Client.Do(ctx, http.MethodPost, "/v1/installer/inventory", c.Inventory, nil); err != nil {
		return p, fail("inventory", err, "the server refused the inventory; see the deployment's events")
	}
	var target disk.Target
	if len(p.Layout.Spec) == 0 { // a layout plans its disks against the image's payloads
		var err error
		if target, err = c.pickTarget(p); err != nil {
			return p, err
		}
	}
	pub, err := manifest.ParsePublicKey([]byte(p.Image.PublicKey))
	if err != nil {
		return p, fail("image", err, "the plan's image public key is invalid; check the server's signing key")
	}
	src, err := c.source(p)
	if err != nil {
		return p, err
	}
	m, err := stream.FetchManifest(ctx, src, p.Image.ID, pub)
	if err != nil {
		return p, fail("image", err, "the image manifest cannot be fetched or does not verify; check the image set")
	}
	if err := checkVariant(m, c.Inventory); err != nil {
		return p, err
	}
	c.cmdline = m.Cmdline
	if c.layer, err = c.configLayer(ctx, src, m); err != nil {
		return p, err
	}
	var done map[string]any
	if len(p.Layout.Spec) > 0 {
		done, err = c.installStack(ctx, p, src, m, con)
	} else {
		done, err = c.installDisk(ctx, p, src, pub, m, target, con)
	}
	if err != nil {
		return p, err
	}
	if c.ConsoleLog != nil {
		done["log"] = c.ConsoleLog()
	}
	if err := c.Client.Signal(ctx, c.Deployment, "installer.done", done); err != nil {
		return p, fail("report", err, "the install finished but the server did not take installer.done")
	}
	con.phase("done: %s installed", p.Host)
	return p, nil
}

// source is c.Source, or the plan's server over HTTP.
func (c Config) source(p plan.Plan) (stream.Source, error) {
	if c.Source != nil {
		return c.Source, nil
	}
	rc, ok := c.Client.(*report.Client)
	if !ok {
		return nil, fail("image", fmt.Errorf("no image source"), "a bug: the installer has neither a server nor a kit to read the image from")
	}
	return &stream.HTTP{Base: first(p.Image.Server, rc.Base), Token: rc.Token}, nil
}

// installDisk writes the image's whole-disk payload to the selected disk
// (layout single), grows it and configures it.
func (c Config) installDisk(ctx context.Context, p plan.Plan, src stream.Source, pub ed25519.PublicKey, m *manifest.Manifest, t disk.Target, con *console) (map[string]any, error) {
	target := t.Path
	if err := checkDiskPayload(m, t.Size); err != nil {
		return nil, err
	}
	con.phase("writing image %s (%s %s) to %s", m.Name, m.OS.ID, m.OS.Version, target)
	res, err := c.write(ctx, src, p, pub, target, con)
	if err != nil {
		return nil, err
	}
	con.phase("image written: %d chunks fetched, %d zero, %s", res.ChunksFetched, res.ZeroChunks, mib(res.BytesWritten))
	if err := c.configure(ctx, p, target, con); err != nil {
		return nil, err
	}
	return map[string]any{"disk": target, "bytes": res.BytesWritten, "chunks": res.ChunksFetched}, nil
}

// pickTarget selects the disk (or takes the test target) and its size.
func (c Config) pickTarget(p plan.Plan) (disk.Target, error) {
	d, err := disk.Select(p.Layout.Disk, c.Inventory.Disks)
	if c.Target == "" {
		if err != nil {
			return disk.Target{}, fail("disk", err, "no disk was touched")
		}
		return disk.Target{Path: d.Path, Size: d.SizeBytes}, nil
	}
	fi, serr := os.Stat(c.Target)
	if serr != nil {
		return disk.Target{}, fail("disk", serr, "the test target must exist")
	}
	if err != nil {
		return disk.Target{}, fail("disk", err, "no disk was touched")
	}
	return disk.Target{Path: c.Target, Size: fi.Size()}, nil
}

// checkVariant refuses an image built for another firmware or architecture.
func checkVariant(m *manifest.Manifest, inv plan.Inventory) error {
	if m.Firmware != "" && inv.Firmware != "" && !api.Firmware(m.Firmware).Fits(inv.Firmware) {
		return fail("image", fmt.Errorf("image %s is for %s firmware but the machine booted %s", m.Name, m.Firmware, inv.Firmware),
			"assign an image set with a "+string(inv.Firmware)+" variant, or switch the machine's boot mode")
	}
	if m.Arch != "" && inv.Arch != "" && m.Arch != string(inv.Arch) {
		return fail("image", fmt.Errorf("image %s is for %s but the machine is %s", m.Name, m.Arch, inv.Arch), "use an image of the machine's architecture")
	}
	return nil
}

// checkDiskPayload checks the image has a whole-disk payload that fits.
func checkDiskPayload(m *manifest.Manifest, size int64) error {
	pl, err := stream.PickPayload(m, "disk")
	if err != nil {
		return fail("image", err, "the single layout needs an image with a disk payload")
	}
	if pl.Size > size {
		return fail("disk", fmt.Errorf("image needs %s but the disk holds %s", mib(pl.Size), mib(size)),
			"pick a bigger disk with the layout's selector (min_bytes); no disk was touched")
	}
	return nil
}

func (c Config) write(ctx context.Context, src stream.Source, p plan.Plan, pub ed25519.PublicKey, target string, con *console) (stream.Result, error) {
	every := c.ProgressEvery
	if every == 0 {
		every = 2 * time.Second
	}
	sig := newProgressPoster(ctx, c.Client, c.Deployment, every)
	defer sig.close()
	opts := stream.Options{
		Logger:           c.Log,
		ProgressInterval: time.Second,
		Progress: func(pr stream.Progress) {
			con.progress(pr)
			sig.post(pr.Bytes, pr.TotalBytes)
		},
	}
	res, err := stream.WriteImage(ctx, src, p.Image.ID, pub, "disk", target, opts)
	if err != nil {
		var ce *stream.ChunkError
		if errors.As(err, &ce) {
			return res, fail("write", err, fmt.Sprintf("chunk %x at offset %d failed; check the chunk store (corrupt or missing chunk) and redeploy", ce.Hash[:], ce.Offset))
		}
		return res, fail("write", err, "writing the image failed; check the network and the disk, then redeploy")
	}
	return res, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
