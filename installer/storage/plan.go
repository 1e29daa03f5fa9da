package storage

import (
	"ingot.dev/ingot/installer/clevis"
	"ingot.dev/ingot/installer/layout"
)

// Config is what Steps needs besides the plan.
type Config struct {
	Runner  Runner
	Binder  Binder
	TempDir string // for key files; default os.TempDir()
}

// Steps returns the steps that build sp, in order: partitions, arrays,
// LUKS (format, bind, open), LVM, filesystems. The LUKS steps hold the
// recovery passphrases after Apply (see Recoveries).
func Steps(sp layout.StoragePlan, cfg Config) []Step {
	var steps []Step
	for _, d := range sp.Disks {
		steps = append(steps, &Partition{R: cfg.Runner, Disk: d})
	}
	for _, a := range sp.Arrays {
		steps = append(steps, &MD{R: cfg.Runner, Array: a})
	}
	for _, v := range sp.LUKS {
		l := &LUKS{R: cfg.Runner, Binder: cfg.Binder, Policy: Policy(sp.Encryption), Volume: v, TempDir: cfg.TempDir}
		steps = append(steps, l, &Open{R: cfg.Runner, LUKS: l})
	}
	for _, vg := range sp.VolumeGroups {
		steps = append(steps, &LVM{R: cfg.Runner, VG: vg})
	}
	for _, fs := range sp.Filesystems {
		steps = append(steps, &Mkfs{R: cfg.Runner, FS: fs})
	}
	return steps
}

// Recoveries returns the recovery passphrase of every LUKS volume the steps
// made, by volume name, for escrow.
func Recoveries(steps []Step) map[string]string {
	out := map[string]string{}
	for _, s := range steps {
		if l, ok := s.(*LUKS); ok && l.Recovery != "" {
			out[l.Volume.Name] = l.Recovery
		}
	}
	return out
}

// Policy converts a layout's encryption policy to clevis's.
func Policy(e *layout.Encryption) clevis.Policy {
	if e == nil {
		return clevis.Policy{}
	}
	p := clevis.Policy{Threshold: e.Threshold}
	for _, t := range e.Tang {
		p.Tang = append(p.Tang, clevis.TangPin{URL: t.URL, Thumbprints: t.Thumbprints})
	}
	if e.TPM2 != nil {
		bank, ids := e.TPM2.Defaults()
		p.TPM2 = &clevis.TPM2Pin{PCRBank: bank, PCRIDs: ids}
	}
	return p
}
