package layout

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Describe writes sp as a table for people: what `ingot deploy --dry-run`
// shows before anything is touched.
func (sp StoragePlan) Describe(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, d := range sp.Disks {
		fmt.Fprintf(tw, "disk %s\t%s\t%s\t%s\t%s\n", d.Group, d.Disk.Path, Size(d.Disk.SizeBytes), d.Disk.Transport,
			strings.TrimSpace(d.Disk.Model+" "+d.Disk.Serial))
		for _, p := range d.Partitions {
			fmt.Fprintf(tw, "  part %d\t%s\t%s\t%s\t%s\n", p.Number, p.Device, Size(p.Size), p.Type, p.Name)
		}
	}
	for _, a := range sp.Arrays {
		fmt.Fprintf(tw, "raid1 %s\t%s\tmetadata %s\t<- %s\t\n", a.Name, a.Device, a.Metadata, strings.Join(a.Members, " "))
	}
	for _, v := range sp.LUKS {
		fmt.Fprintf(tw, "luks2 %s\t%s\t%s\t<- %s\t\n", v.Name, v.Mapper, sp.Encryption.describe(), v.Device)
	}
	for _, vg := range sp.VolumeGroups {
		for _, lv := range vg.Volumes {
			fmt.Fprintf(tw, "lvm %s/%s\t%s\t%s\t<- %s\t\n", vg.Name, lv.Name, lv.Device, Size(lv.Size), strings.Join(vg.Devices, " "))
		}
	}
	for _, fs := range sp.Filesystems {
		opts := strings.Join(fs.Options, ",")
		if opts == "" {
			opts = "defaults"
		}
		dev := fs.Device
		if len(fs.Replicas) > 0 {
			dev += " (+" + strings.Join(fs.Replicas, " ") + ")"
		}
		fmt.Fprintf(tw, "fs %s\t%s\t%s\t%s\t\n", fs.Mount, fs.Type, opts, dev)
	}
	return tw.Flush()
}

func (e *Encryption) describe() string {
	if e == nil {
		return "no policy"
	}
	var pins []string
	for _, t := range e.Tang {
		pins = append(pins, "tang "+t.URL)
	}
	if e.TPM2 != nil {
		bank, ids := e.TPM2.Defaults()
		pins = append(pins, fmt.Sprintf("tpm2 %s:%v", bank, ids))
	}
	return fmt.Sprintf("sss t=%d: %s", max(e.Threshold, 1), strings.Join(pins, ", "))
}

// Defaults returns the PCR bank and ids with the defaults filled in:
// sha256 and PCR 7.
func (t TPM2) Defaults() (bank string, ids []int) {
	bank, ids = t.PCRBank, t.PCRIDs
	if bank == "" {
		bank = "sha256"
	}
	if len(ids) == 0 {
		ids = []int{7}
	}
	return bank, ids
}
