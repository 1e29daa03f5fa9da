package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"ingot.dev/ingot/installer/install"
	"ingot.dev/ingot/installer/kit"
	"ingot.dev/ingot/installer/kitrun"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/stream"
)

// kitMount is where the kit medium's ISO 9660 filesystem is mounted.
const kitMount = "/run/ingot/kit"

// doKit installs from the site kit on the boot medium and leaves the
// signed report in its report area. It returns "poweroff": the operator
// takes the stick to the next machine.
func (j job) doKit(ctx context.Context, in io.Reader) (string, error) {
	pub, err := kit.ParseKey(j.cfg.KitKey)
	if err != nil {
		return "", err
	}
	dev, unmount, err := findKit(ctx, j.out)
	if err != nil {
		return "", err
	}
	defer func() { _ = unmount() }()
	root := filepath.Join(kitMount, kit.Dir)
	m, key, err := openKit(root, pub)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(j.out, "ingot: kit %s on %s verified with the kit signing key %s: %d hosts, %d files\n", m.ID, dev, j.cfg.KitKey, len(m.Hosts), len(m.Files))
	j.inv.Disks = withoutDisk(j.inv.Disks, dev)
	h, why, err := kitrun.Choose(m, j.inv, in, j.out)
	if err != nil {
		return "poweroff", err
	}
	for _, n := range j.inv.NICs {
		if j.inv.BootMAC == "" || strings.Contains(why, n.MAC) {
			j.inv.BootMAC = n.MAC
		}
	}
	fmt.Fprintf(j.out, "ingot: checking the kit files of host %s before writing anything\n", h.Name)
	p, _, err := m.Load(os.DirFS(root), h, nil)
	if err != nil {
		return "", err
	}
	rep := kit.Report{Kit: m.ID, Deployment: h.Deployment, Host: h.Name, MatchedBy: why, Image: h.Image, Started: time.Now().UTC(), Attempt: 1}
	rec := &kitrun.Recorder{Plan: p, ReportKey: m.ReportKey}
	lines := &kitrun.Lines{W: j.out}
	ic := install.Config{Client: rec, Source: stream.Dir(root), Deployment: string(h.Deployment), Inventory: j.inv,
		Target: j.target, Mounter: j.mounter, Console: lines, Log: j.log}
	if j.bootEntry {
		ic.BootEntry = setBootEntry
	}
	_, ierr := install.Run(ctx, ic)
	rep.Finished, rep.Result, rep.Events, rep.Inventory, rep.PCRs = time.Now().UTC(), kit.ResultSucceeded, lines.Events(), j.inv, kitrun.PCRs("/sys")
	if ierr != nil {
		rep.Result, rep.Error, rep.Hint = kit.ResultFailed, ierr.Error(), install.Hint(ierr)
	}
	rec.Fill(&rep)
	if err := unmount(); err != nil {
		fmt.Fprintf(j.out, "ingot: %v\n", err)
	}
	if err := writeReport(dev, m.ID, rep, key, j.out); err != nil {
		return "", errors.Join(ierr, err)
	}
	if ierr != nil {
		return "", ierr
	}
	fmt.Fprintf(j.out, "ingot: host %s installed; remove the kit stick and power the machine on to boot it\n", h.Name)
	return "poweroff", nil
}

// openKit reads and verifies the kit manifest and the kit's report key.
func openKit(root string, pub ed25519.PublicKey) (*kit.Manifest, ed25519.PrivateKey, error) {
	data, err := os.ReadFile(filepath.Join(root, kit.ManifestFile))
	if err != nil {
		return nil, nil, err
	}
	sig, err := os.ReadFile(filepath.Join(root, kit.SignatureFile))
	if err != nil {
		return nil, nil, err
	}
	m, err := kit.Verify(data, sig, pub)
	if err != nil {
		return nil, nil, err
	}
	seed, err := os.ReadFile(filepath.Join(root, kit.KeyFile))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, nil, fmt.Errorf("kit file %s: missing or not an ed25519 seed (%v): rebuild the kit", kit.KeyFile, err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(m.KitKey)) {
		return nil, nil, fmt.Errorf("kit file %s: not the key the kit manifest names: %w", kit.KeyFile, kit.ErrTampered)
	}
	return m, key, nil
}

// writeReport signs rep and puts it in the report area of dev.
func writeReport(dev, id string, rep kit.Report, key ed25519.PrivateKey, out io.Writer) error {
	e, err := kit.SignReport(rep, key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(dev, os.O_RDWR|os.O_SYNC, 0)
	if err != nil {
		return fmt.Errorf("opening the kit %s to write the report: %w (a CD cannot hold reports: use a USB stick)", dev, err)
	}
	defer f.Close()
	a, err := kit.FindArea(f)
	if err != nil {
		return fmt.Errorf("kit %s: %w", dev, err)
	}
	if a.Header.Kit != id {
		return fmt.Errorf("the report area of %s belongs to kit %s, not %s", dev, a.Header.Kit, id)
	}
	slot, err := a.Put(f, e, string(rep.Deployment))
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing the report: %w", err)
	}
	fmt.Fprintf(out, "ingot: report of %s (%s, %d recovery keys sealed to the server) written to slot %d of the kit's report area\n", rep.Host, rep.Result, len(rep.RecoveryKeys), slot)
	return nil
}

// findKit mounts the first block device holding a kit (ISO 9660 with
// kit/kit.json), waiting for USB sticks to show up.
func findKit(ctx context.Context, out io.Writer) (string, func() error, error) {
	if err := os.MkdirAll(kitMount, 0o755); err != nil {
		return "", nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, dev := range wholeDisks() {
			if unix.Mount(dev, kitMount, "iso9660", unix.MS_RDONLY, "") != nil {
				continue
			}
			if _, err := os.Stat(filepath.Join(kitMount, kit.Dir, kit.ManifestFile)); err == nil {
				once := false
				return dev, func() error {
					if once {
						return nil
					}
					once = true
					return unix.Unmount(kitMount, 0)
				}, nil
			}
			_ = unix.Unmount(kitMount, 0)
		}
		if time.Now().After(deadline) {
			return "", nil, errors.New("no site kit found on any disk or CD: boot from the kit stick (ingot media build --site-kit)")
		}
		select {
		case <-ctx.Done():
			return "", nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// wholeDisks lists /dev paths of the block devices that are not partitions.
func wholeDisks() []string {
	ents, _ := os.ReadDir("/sys/class/block")
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join("/sys/class/block", e.Name(), "partition")); err == nil {
			continue
		}
		if strings.HasPrefix(e.Name(), "loop") || strings.HasPrefix(e.Name(), "ram") {
			continue
		}
		out = append(out, "/dev/"+e.Name())
	}
	return out
}

func withoutDisk(ds []plan.Disk, dev string) []plan.Disk {
	var out []plan.Disk
	for _, d := range ds {
		if d.Path != dev {
			out = append(out, d)
		}
	}
	return out
}

// consoleInput reads lines typed on any console (serial or screen): the
// first console to deliver a line wins each read.
func consoleInput() io.Reader {
	r, w := io.Pipe()
	for _, name := range []string{"/dev/ttyS0", "/dev/tty0"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		go func() {
			s := bufio.NewScanner(f)
			for s.Scan() {
				if _, err := w.Write([]byte(s.Text() + "\n")); err != nil {
					return
				}
			}
		}()
	}
	return r
}
