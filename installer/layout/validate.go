package layout

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
)

// FieldError is one problem with a layout, at a path like "disks[1].count".
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,30}$`)

type checker struct {
	errs    []FieldError
	devices map[string]device // every name a device can be referred to by
	used    map[string]string // device name -> path of its consumer
}

type device struct {
	path   string        // where it was declared
	copies int           // how many block devices the name stands for
	ptype  PartitionType // partition type, "" for other devices
}

func (c *checker) add(path, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Validate returns every problem with l; nil means l is valid. It checks
// what can be known without an inventory; Plan checks the rest.
func Validate(l Layout) []FieldError {
	c := &checker{devices: map[string]device{}, used: map[string]string{}}
	if len(l.Disks) == 0 {
		c.add("disks", "at least one disk group is required")
	}
	for i, g := range l.Disks {
		c.disk(fmt.Sprintf("disks[%d]", i), g)
	}
	c.overlaps(l.Disks)
	for i, a := range l.Arrays {
		c.array(fmt.Sprintf("arrays[%d]", i), a)
	}
	for i, v := range l.LUKS {
		c.luks(fmt.Sprintf("luks[%d]", i), v, l.Encryption)
	}
	for i, vg := range l.VolumeGroups {
		c.volumeGroup(fmt.Sprintf("volume_groups[%d]", i), vg)
	}
	c.filesystems(l.Filesystems)
	if l.Encryption != nil {
		c.encryption("encryption", *l.Encryption)
	}
	switch l.Benchmark {
	case "":
	case "cis":
		c.cis(l.Filesystems)
	default:
		c.add("benchmark", "unknown benchmark %q: want cis or nothing", l.Benchmark)
	}
	return c.errs
}

func (c *checker) declare(p, name string, d device) {
	if !nameRE.MatchString(strings.ReplaceAll(name, "/", "_")) {
		c.add(p+".name", "name %q: want lowercase letters, digits, - and _ (at most 31)", name)
		return
	}
	if prev, ok := c.devices[name]; ok {
		c.add(p+".name", "name %q is already used by %s", name, prev.path)
		return
	}
	d.path = p
	c.devices[name] = d
}

// use records that consumer at p takes device name and returns it.
func (c *checker) use(p, name string) (device, bool) {
	d, ok := c.devices[name]
	if !ok {
		c.add(p, "no device named %q (declare it as a partition, array, luks volume or vg/lv first)", name)
		return d, false
	}
	if prev, ok := c.used[name]; ok {
		c.add(p, "device %q is already used by %s", name, prev)
		return d, false
	}
	c.used[name] = p
	return d, true
}

func (c *checker) disk(p string, g DiskGroup) {
	if !nameRE.MatchString(g.Name) {
		c.add(p+".name", "name %q: want lowercase letters, digits, - and _", g.Name)
	}
	if g.Count < 0 || g.Count > 64 {
		c.add(p+".count", "count %d: want 1 to 64 (0 means 1)", g.Count)
	}
	c.selector(p+".select", g.Select)
	if len(g.Partitions) == 0 {
		c.add(p+".partitions", "at least one partition is required")
	}
	copies := max(g.Count, 1)
	for j, part := range g.Partitions {
		pp := fmt.Sprintf("%s.partitions[%d]", p, j)
		c.declare(pp, part.Name, device{copies: copies, ptype: part.Type})
		switch {
		case part.Size == Rest && j != len(g.Partitions)-1:
			c.add(pp+".size", "only the last partition can take the rest")
		case part.Size == 0 || part.Size < Rest:
			c.add(pp+".size", "size is required: bytes, a size like 512MiB, or rest")
		case part.Size != Rest && part.Size%MiB != 0:
			c.add(pp+".size", "size %s is not a multiple of 1MiB (partitions are MiB-aligned)", part.Size)
		}
		if part.Type.GUID() == "" {
			c.add(pp+".type", "unknown partition type %q: want esp, bios-boot, linux, raid or lvm", part.Type)
		}
		if len(part.Label) > 36 {
			c.add(pp+".label", "label is longer than the 36 characters GPT allows")
		}
	}
}

func (c *checker) selector(p string, s Selector) {
	if s.MinSize < 0 || s.MaxSize < 0 {
		c.add(p, "sizes cannot be negative or rest")
	}
	if s.MaxSize > 0 && s.MinSize > s.MaxSize {
		c.add(p+".max_size", "max_size %s is smaller than min_size %s", s.MaxSize, s.MinSize)
	}
	switch s.Transport {
	case "", NVMe, SATA, SCSI, USB, Virtio:
	default:
		c.add(p+".transport", "unknown transport %q: want nvme, sata, scsi, usb or virtio", s.Transport)
	}
	for k, v := range map[string]string{"model": s.Model, "serial": s.Serial, "by_path": s.ByPath, "wwn": s.WWN} {
		if _, err := path.Match(v, ""); err != nil {
			c.add(p+"."+k, "bad glob %q: %v", v, err)
		}
	}
}

func (c *checker) array(p string, a Array) {
	copies := 0
	for j, name := range a.Devices {
		d, ok := c.use(fmt.Sprintf("%s.devices[%d]", p, j), name)
		if !ok {
			continue
		}
		if d.ptype != "" && d.ptype != RAID {
			c.add(fmt.Sprintf("%s.devices[%d]", p, j), "partition %q has type %s: md members need type raid", name, d.ptype)
		}
		copies += d.copies
	}
	c.declare(p, a.Name, device{copies: 1})
	if a.Level != 1 {
		c.add(p+".level", "level %d: only RAID1 is supported", a.Level)
	}
	if copies < 2 && len(a.Devices) > 0 {
		c.add(p+".devices", "a RAID1 mirror needs at least 2 members, these devices give %d (set the disk group's count to 2)", copies)
	}
	if len(a.Devices) == 0 {
		c.add(p+".devices", "at least one device is required")
	}
	if !slices.Contains([]string{"", "1.0", "1.2"}, a.Metadata) {
		c.add(p+".metadata", "metadata %q: want 1.2 (default) or 1.0", a.Metadata)
	}
}

func (c *checker) single(p, name, what string) {
	if d, ok := c.use(p, name); ok && d.copies > 1 {
		c.add(p, "%q stands for %d partitions (one per disk): put a RAID1 array on it to use it as %s", name, d.copies, what)
	}
}

func (c *checker) luks(p string, v LUKSVolume, enc *Encryption) {
	c.single(p+".device", v.Device, "a LUKS volume")
	c.declare(p, v.Name, device{copies: 1})
	if enc == nil {
		c.add(p, "a LUKS volume needs the layout's encryption policy (tang and/or tpm2)")
	}
}

func (c *checker) volumeGroup(p string, vg VolumeGroup) {
	if !nameRE.MatchString(vg.Name) {
		c.add(p+".name", "name %q: want lowercase letters, digits, - and _", vg.Name)
	}
	if len(vg.Devices) == 0 {
		c.add(p+".devices", "at least one physical volume is required")
	}
	for j, name := range vg.Devices {
		c.single(fmt.Sprintf("%s.devices[%d]", p, j), name, "an LVM physical volume")
	}
	if len(vg.Volumes) == 0 {
		c.add(p+".volumes", "at least one logical volume is required")
	}
	for j, lv := range vg.Volumes {
		lp := fmt.Sprintf("%s.volumes[%d]", p, j)
		c.declare(lp, vg.Name+"/"+lv.Name, device{copies: 1})
		if lv.Size == Rest && j != len(vg.Volumes)-1 {
			c.add(lp+".size", "only the last volume can take the rest")
		} else if lv.Size == 0 || lv.Size < Rest {
			c.add(lp+".size", "size is required")
		}
	}
}

func (c *checker) filesystems(fss []Filesystem) {
	mounts := map[string]int{}
	for i, fs := range fss {
		p := fmt.Sprintf("filesystems[%d]", i)
		if d, ok := c.use(p+".device", fs.Device); ok && d.copies > 1 && !(fs.Type == VFAT && d.ptype == ESP) {
			c.add(p+".device", "%q stands for %d partitions: only an ESP may be replicated, put a RAID1 array on it", fs.Device, d.copies)
		}
		switch fs.Type {
		case Ext4, XFS, VFAT:
			if !path.IsAbs(fs.Mount) || path.Clean(fs.Mount) != fs.Mount {
				c.add(p+".mount", "mount point %q must be a clean absolute path", fs.Mount)
			}
		case Swap:
			if fs.Mount != "swap" {
				c.add(p+".mount", "a swap filesystem mounts as \"swap\"")
			}
		default:
			c.add(p+".type", "unknown filesystem %q: want ext4, xfs, vfat or swap", fs.Type)
		}
		if j, ok := mounts[fs.Mount]; ok && fs.Type != Swap {
			c.add(p+".mount", "%s is already mounted by filesystems[%d]", fs.Mount, j)
		}
		mounts[fs.Mount] = i
		for j, o := range fs.Options {
			if o == "" || strings.ContainsAny(o, " \t\n,#") {
				c.add(fmt.Sprintf("%s.options[%d]", p, j), "option %q: one option per item, no spaces, commas or #", o)
			}
		}
	}
	if _, ok := mounts["/"]; !ok && len(fss) > 0 {
		c.add("filesystems", "no filesystem is mounted at /")
	}
}

func (c *checker) encryption(p string, e Encryption) {
	if e.Pins() == 0 {
		c.add(p, "at least one pin (tang or tpm2) is required")
	}
	if e.Threshold < 0 || e.Threshold > e.Pins() {
		c.add(p+".threshold", "threshold %d: want 1 to %d (the number of pins)", e.Threshold, e.Pins())
	}
	for i, t := range e.Tang {
		tp := fmt.Sprintf("%s.tang[%d]", p, i)
		if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.add(tp+".url", "url %q: want http://host[:port][/path]", t.URL)
		}
		if len(t.Thumbprints) == 0 {
			c.add(tp+".thumbprints", "at least one trusted thumbprint is required (tang-show-keys on the server prints them); Ingot never trusts on first use")
		}
		for j, thp := range t.Thumbprints {
			if b, err := base64.RawURLEncoding.DecodeString(thp); err != nil || (len(b) != 20 && len(b) != 32) {
				c.add(fmt.Sprintf("%s.thumbprints[%d]", tp, j), "thumbprint %q: want a base64url SHA-256 (or SHA-1) JWK thumbprint", thp)
			}
		}
	}
	if e.TPM2 != nil {
		if !slices.Contains([]string{"", "sha1", "sha256", "sha384", "sha512"}, e.TPM2.PCRBank) {
			c.add(p+".tpm2.pcr_bank", "pcr bank %q: want sha256 (default), sha1, sha384 or sha512", e.TPM2.PCRBank)
		}
		for i, id := range e.TPM2.PCRIDs {
			if id < 0 || id > 23 || slices.Index(e.TPM2.PCRIDs, id) != i {
				c.add(fmt.Sprintf("%s.tpm2.pcr_ids[%d]", p, i), "pcr id %d: want distinct ids 0 to 23", id)
			}
		}
	}
}

func (c *checker) cis(fss []Filesystem) {
	for _, m := range CISMounts() {
		i := slices.IndexFunc(fss, func(fs Filesystem) bool { return fs.Mount == m.Mount })
		if i < 0 {
			c.add("filesystems", "benchmark cis needs a separate filesystem for %s", m.Mount)
			continue
		}
		for _, o := range m.Options {
			if !slices.Contains(fss[i].Options, o) {
				c.add(fmt.Sprintf("filesystems[%d].options", i), "benchmark cis needs %s mounted with %s", m.Mount, o)
			}
		}
	}
}
