// Package storage builds the storage stack of a layout.StoragePlan on the
// host: GPT partitions, md RAID1 arrays, LUKS2 volumes bound with clevis
// (plus a recovery passphrase for escrow), LVM and filesystems, as steps
// with Do and Undo that run in order and are undone in reverse on failure.
// Every outside command goes through a Runner, so the sequences are tested
// with a recording fake where the host kernel cannot run them (md,
// dm-crypt).
package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"

	"ingot.dev/ingot/installer/layout"
)

// Runner runs one command with stdin and returns its stdout.
type Runner interface {
	Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error)
}

// Exec runs commands with os/exec.
type Exec struct{}

var _ Runner = Exec{}

// Run runs name; the error carries the command's stderr.
func (Exec) Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Step is one change to the disks, and its compensation.
type Step interface {
	String() string
	Do(ctx context.Context) error
	// Undo reverts what Do did; it runs after Do failed too, so it
	// tolerates a half-done Do.
	Undo(ctx context.Context) error
}

// Apply runs steps in order. When one fails, it undoes that step and every
// step before it, in reverse, and returns the failure joined with any undo
// errors.
func Apply(ctx context.Context, log *slog.Logger, steps []Step) error {
	for i, s := range steps {
		log.Info("storage step", "step", s.String())
		if err := s.Do(ctx); err != nil {
			return errors.Join(fmt.Errorf("%s: %w", s, err), Undo(ctx, steps[:i+1]))
		}
	}
	return nil
}

// Undo undoes steps in reverse order, all of them even when some fail, and
// even when ctx is cancelled (compensation must run). It returns the undo
// errors joined.
func Undo(ctx context.Context, steps []Step) error {
	uctx := context.WithoutCancel(ctx)
	var errs []error
	for j := len(steps) - 1; j >= 0; j-- {
		if uerr := steps[j].Undo(uctx); uerr != nil {
			errs = append(errs, fmt.Errorf("undoing %s: %w", steps[j], uerr))
		}
	}
	return errors.Join(errs...)
}

// Release closes a finished stack without touching its data: volume groups
// deactivated, LUKS volumes closed, md arrays stopped, in that order. A
// stopped array records where its first resync got to and is marked clean,
// so the installed system resumes that resync instead of finding dirty
// arrays (a reboot with arrays running leaves them dirty, and the
// installed system's first boot must then resync them from the start
// before its devices settle). It goes on past failures and returns them
// joined.
func Release(ctx context.Context, r Runner, sp layout.StoragePlan) error {
	var errs []error
	run := func(name string, args ...string) {
		if _, err := r.Run(ctx, nil, name, args...); err != nil {
			errs = append(errs, err)
		}
	}
	for _, vg := range sp.VolumeGroups {
		run("vgchange", "--activate", "n", vg.Name)
	}
	for i := len(sp.LUKS) - 1; i >= 0; i-- {
		run("cryptsetup", "close", sp.LUKS[i].Name)
	}
	for i := len(sp.Arrays) - 1; i >= 0; i-- {
		run("mdadm", "--stop", sp.Arrays[i].Device)
	}
	return errors.Join(errs...)
}
