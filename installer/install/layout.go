package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/google/go-tpm/tpm2/transport/linuxtpm"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/clevis"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/storage"
	"ingot.dev/ingot/installer/stream"
)

// stack is one layout install: the storage plan, the steps that build it
// and what they made.
type stack struct {
	sp       layout.StoragePlan
	steps    []storage.Step
	payloads map[string]manifest.Payload // filesystem device -> its fs-image payload
	bios     *biosBoot                   // nil: no BIOS boot code to write
}

// planStack resolves the plan's layout against the inventory, matches
// every filesystem with the image's fs-image payload for its mount point
// and fetches the BIOS boot code, all before a disk is touched.
func (c Config) planStack(ctx context.Context, p plan.Plan, src stream.Source, m *manifest.Manifest) (*stack, error) {
	l, err := layout.Parse(p.Layout.Spec)
	if err != nil {
		return nil, fail("layout", err, "the hostgroup's layout does not parse; fix it (docs/layouts.md) and redeploy")
	}
	sp, err := layout.Plan(l, c.Inventory)
	if err != nil {
		return nil, fail("disk", err, "no disk was touched")
	}
	st := &stack{sp: sp, payloads: map[string]manifest.Payload{}}
	for _, fs := range sp.Filesystems {
		pl, err := stream.PickPayload(m, Role(fs.Mount))
		if err != nil || pl.Kind != manifest.KindFSImage {
			continue
		}
		st.payloads[fs.Device] = pl
	}
	if _, ok := st.payloads[rootFS(sp).Device]; !ok {
		return nil, fail("image", fmt.Errorf("image %s has no fs-image payload for / (role root)", m.Name),
			"build the image with the hostgroup's layout (recipe layout: preset) so it has one filesystem payload per mount point")
	}
	if st.bios, err = planBIOSBoot(ctx, src, m, sp); err != nil {
		return nil, fail("image", err, "the image's BIOS boot code cannot be fetched or does not verify; no disk was touched; check the image's chunks")
	}
	return st, nil
}

// Role is the payload role of the filesystem mounted at mount, as the image
// builder names them: root, esp, var, var-log, var-log-audit, ...
func Role(mount string) string {
	switch mount {
	case "/":
		return "root"
	case "/boot/efi":
		return "esp"
	}
	return strings.ReplaceAll(strings.Trim(mount, "/"), "/", "-")
}

func rootFS(sp layout.StoragePlan) layout.PlannedFilesystem {
	i := slices.IndexFunc(sp.Filesystems, func(fs layout.PlannedFilesystem) bool { return fs.Mount == "/" })
	if i < 0 {
		return layout.PlannedFilesystem{}
	}
	return sp.Filesystems[i]
}

// build runs the storage steps: partitions, arrays, LUKS (bound with
// clevis, opened), LVM, then for every filesystem either its payload
// (written, then grown to the device) or mkfs. A failure undoes every step
// done so far, in reverse.
func (c Config) build(ctx context.Context, st *stack, src stream.Source, con *console) error {
	binder := c.Binder
	if binder == nil {
		pins, closeTPM, err := machinePins(st.sp)
		if err != nil {
			return err
		}
		defer closeTPM()
		binder = pins
	}
	all := storage.Steps(st.sp, storage.Config{Runner: c.runner(), Binder: binder, TempDir: os.TempDir()})
	st.steps = slices.DeleteFunc(all, func(s storage.Step) bool {
		mk, ok := s.(*storage.Mkfs)
		return ok && st.payloads[mk.FS.Device].Role != ""
	})
	for _, fs := range st.sp.Filesystems {
		if pl, ok := st.payloads[fs.Device]; ok {
			st.steps = append(st.steps, &writeFS{c: c, src: src, payload: pl, fs: fs, con: con})
		}
	}
	for _, s := range st.steps {
		con.phase("  %s", s)
	}
	throttleResync()
	if err := storage.Apply(ctx, c.Log, st.steps); err != nil {
		return fail("storage", err, "the storage stack could not be built and what was made is undone; check the disks and the encryption policy's Tang servers and TPM, then redeploy")
	}
	return nil
}

// undo tears the stack down after a later failure.
func (st *stack) undo(ctx context.Context) error {
	return storage.Undo(context.WithoutCancel(ctx), st.steps)
}

// writeFS streams one fs-image payload onto a filesystem's device (and its
// replicas) and grows it to fill the device.
type writeFS struct {
	c       Config
	src     stream.Source
	payload manifest.Payload
	fs      layout.PlannedFilesystem
	con     *console
}

func (s *writeFS) String() string {
	return fmt.Sprintf("write payload %s (%s) to %s", s.payload.Role, mib(s.payload.Size), s.fs.Device)
}

// Do writes the payload and grows ext4 and xfs filesystems.
func (s *writeFS) Do(ctx context.Context) error {
	for _, dev := range append([]string{s.fs.Device}, s.fs.Replicas...) {
		t, err := stream.OpenFile(dev, s.payload.Size)
		if err != nil {
			return err
		}
		_, err = stream.WritePayload(ctx, s.src, s.payload, t, stream.Options{Logger: s.c.Log})
		if err = errors.Join(err, t.Close()); err != nil {
			return err
		}
	}
	if s.fs.Type == layout.Ext4 {
		return growExt(ctx, s.c.runner(), s.fs.Device)
	}
	return nil
}

// Undo wipes the filesystem signatures.
func (s *writeFS) Undo(ctx context.Context) error {
	_, err := s.c.runner().Run(ctx, nil, "wipefs", append([]string{"--all", s.fs.Device}, s.fs.Replicas...)...)
	return err
}

func growExt(ctx context.Context, r storage.Runner, dev string) error {
	_, _ = r.Run(ctx, nil, "e2fsck", "-f", "-p", dev) // exits 1 after fixing something: resize2fs decides
	_, err := r.Run(ctx, nil, "resize2fs", dev)
	return err
}

func (c Config) runner() storage.Runner {
	if c.Runner != nil {
		return c.Runner
	}
	return storage.Exec{}
}

// TPMDevice is the kernel's TPM 2.0 resource manager.
const TPMDevice = "/dev/tpmrm0"

// machinePins are the clevis pins on this machine: Tang over the network
// and, when the policy seals to a TPM2, the machine's TPM.
func machinePins(sp layout.StoragePlan) (clevis.Pins, func(), error) {
	if sp.Encryption == nil || sp.Encryption.TPM2 == nil {
		return clevis.Pins{}, func() {}, nil
	}
	tpm, err := linuxtpm.Open(TPMDevice)
	if err != nil {
		return clevis.Pins{}, nil, fail("tpm", fmt.Errorf("opening %s: %w", TPMDevice, err),
			"the encryption policy seals to the TPM 2.0 but it cannot be opened; enable the TPM in the firmware, or remove tpm2 from the hostgroup's encryption policy")
	}
	return clevis.Pins{TPM: tpm}, func() { tpm.Close() }, nil
}

// resyncLimit is where throttleResync caps md's resync speed (KiB/s).
const resyncLimit = "1000"

// throttleResync caps the initial resync of new mirrors in the installer's
// kernel, so that it does not compete with the image writes (which go to
// both halves anyway); the installed system finishes it at full speed.
func throttleResync() {
	_ = os.WriteFile("/proc/sys/dev/raid/speed_limit_max", []byte(resyncLimit), 0o644)
}
