package install

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/storage"
	"ingot.dev/ingot/installer/stream"
)

// StorageReport is what the installer tells the server about the stack it
// built (in installer.done, under "storage").
type StorageReport struct {
	Plan   string   `json:"plan"`             // layout.StoragePlan.Describe
	Mounts []string `json:"mounts"`           // device, mount point, type, options as mounted in the installer
	MDStat string   `json:"mdstat,omitempty"` // /proc/mdstat
	// Recovery lists the LUKS volumes whose recovery passphrase was
	// escrowed to the server.
	Recovery []string `json:"recovery,omitempty"`
	// BIOSBoot lists the disks that got GRUB's legacy-BIOS boot code.
	BIOSBoot []string `json:"bios_boot,omitempty"`
}

// installStack builds the layout's storage stack, writes the image's
// filesystem payloads onto it and configures the installed system. A failure
// after the stack is built tears it down again.
func (c Config) installStack(ctx context.Context, p plan.Plan, src stream.Source, m *manifest.Manifest, con *console) (map[string]any, error) {
	st, err := c.planStack(ctx, p, src, m)
	if err != nil {
		return nil, err
	}
	var desc strings.Builder
	_ = st.sp.Describe(&desc)
	con.phase("storage plan:\n%s", desc.String())
	if err := c.build(ctx, st, src, con); err != nil {
		return nil, err
	}
	escrowed, err := c.escrow(ctx, st)
	if err == nil {
		con.phase("recovery keys of %s escrowed to the server", strings.Join(escrowed, ", "))
	}
	var rep StorageReport
	if err == nil {
		rep, err = c.configureStack(ctx, p, st, con)
	}
	if err == nil {
		rep.BIOSBoot, err = st.bios.write()
		if err != nil {
			err = fail("boot", err, "GRUB's BIOS boot code could not be written to the disks; check the disks and redeploy")
		} else if len(rep.BIOSBoot) > 0 {
			con.phase("GRUB BIOS boot code written to %s", strings.Join(rep.BIOSBoot, ", "))
		}
	}
	if err != nil {
		if uerr := st.undo(ctx); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return nil, err
	}
	if err := storage.Release(ctx, c.runner(), st.sp); err != nil {
		c.Log.Warn("closing the storage stack", "err", err)
		con.phase("warning: the storage stack did not close cleanly (%v); the installed system checks it at boot", err)
	} else {
		con.phase("storage stack closed: volume groups deactivated, LUKS closed, arrays stopped clean")
	}
	rep.Plan, rep.Recovery = desc.String(), escrowed
	return map[string]any{"storage": rep}, nil
}

func (c Config) configureStack(ctx context.Context, p plan.Plan, st *stack, con *console) (StorageReport, error) {
	r := c.runner()
	dir := c.TargetDir
	if dir == "" {
		dir = "/mnt/target"
	}
	t, err := mountTree(ctx, r, st.sp, dir)
	if err != nil {
		_ = t.unmount()
		return StorageReport{}, fail("config", err, "the new filesystems cannot be mounted")
	}
	rep, err := c.configureTree(ctx, p, st, t, con)
	if uerr := t.unmount(); err == nil && uerr != nil {
		err = fail("config", uerr, "the target could not be unmounted cleanly")
	}
	if err != nil {
		return rep, err
	}
	if err := c.bootEntries(ctx, p, st.sp, con); err != nil {
		return rep, err
	}
	return rep, nil
}

func (c Config) configureTree(ctx context.Context, p plan.Plan, st *stack, t *tree, con *console) (StorageReport, error) {
	r := c.runner()
	if err := storageFiles(ctx, r, st.sp, t.dir); err != nil {
		return StorageReport{}, fail("config", err, "fstab, crypttab or mdadm.conf could not be written")
	}
	if err := c.writeHostConfig(t.dir, p.Config, con); err != nil {
		return StorageReport{}, fail("config", err, "the host config could not be written into the image")
	}
	con.phase("host config of %s written (config layer %t), fstab, crypttab, mdadm.conf", p.Host, c.layer != nil)
	how, err := refreshInitramfs(ctx, r, st.sp, t)
	if err != nil {
		return StorageReport{}, fail("initramfs", err, "the image needs initramfs-tools and the layout's packages (imagebuild adds them for the recipe's layout)")
	}
	con.phase("initramfs ready to assemble md, activate LVM and unlock LUKS with clevis: %s", how)
	if err := syncESPs(ctx, st.sp, t.dir); err != nil {
		return StorageReport{}, fail("boot", err, "the ESPs could not be updated with the new initrd")
	}
	rep := StorageReport{Mounts: mountsUnder(t.dir)}
	if b, err := os.ReadFile("/proc/mdstat"); err == nil {
		rep.MDStat = string(b)
	}
	return rep, nil
}

// bootEntries adds a UEFI boot entry for the ESP of every disk, so the
// machine boots from either disk of a mirror.
func (c Config) bootEntries(ctx context.Context, p plan.Plan, sp layout.StoragePlan, con *console) error {
	if c.BootEntry == nil {
		return nil
	}
	for _, d := range sp.Disks {
		for _, part := range d.Partitions {
			if part.Type != layout.ESP {
				continue
			}
			if err := c.bootEntry(ctx, d.Disk, part.Number, p.Host); err != nil {
				return fail("boot", fmt.Errorf("boot entry for %s: %w", d.Disk.Path, err), "the UEFI boot entry could not be written; the firmware may still boot the disk's fallback loader")
			}
			con.phase("UEFI boot entry set for %s partition %d", d.Disk.Path, part.Number)
		}
	}
	return nil
}

func (c Config) bootEntry(ctx context.Context, d plan.Disk, part int, host string) error {
	f, err := os.Open(d.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Seek(0, 2)
	if err != nil {
		return err
	}
	return c.BootEntry(ctx, f, size, part, host+" ("+d.Name+")")
}

// mountsUnder lists the mounts under dir from /proc/self/mounts.
func mountsUnder(dir string) []string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && (f[1] == dir || strings.HasPrefix(f[1], dir+"/")) {
			out = append(out, strings.Join(f[:4], " "))
		}
	}
	return out
}

// escrow posts the recovery passphrase of every LUKS volume to the server,
// which keeps it sealed. A volume whose key the server did not take fails
// the install: no disk is left that only clevis can open.
func (c Config) escrow(ctx context.Context, st *stack) ([]string, error) {
	recs := storage.Recoveries(st.steps)
	if len(recs) == 0 {
		return nil, nil
	}
	var body api.RecoveryEscrow
	var names []string
	for _, v := range st.sp.LUKS {
		if pass, ok := recs[v.Name]; ok {
			body.Keys = append(body.Keys, api.RecoveryKey{Volume: v.Name, Device: v.Device, Passphrase: pass})
			names = append(names, v.Name)
		}
	}
	if err := c.Client.Do(ctx, http.MethodPost, "/v1/installer/recovery-keys", body, nil); err != nil {
		return nil, fail("escrow", err, "the server did not take the LUKS recovery keys; the disks were wiped again; check the server and redeploy")
	}
	return names, nil
}
