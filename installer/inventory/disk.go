package inventory

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"ingot.dev/ingot/installer/plan"
)

// skipDisk are block devices that never hold the OS.
var skipDisk = regexp.MustCompile(`^(loop|ram|zram|dm-|md|sr|nbd|fd)`)

// Disks lists the machine's whole disks from /sys/block, sorted by name.
func Disks(r Roots) []plan.Disk {
	r = r.withDefaults()
	es, err := os.ReadDir(filepath.Join(r.Sys, "block"))
	if err != nil {
		return nil
	}
	var disks []plan.Disk
	for _, e := range es {
		if skipDisk.MatchString(e.Name()) {
			continue
		}
		if d, ok := disk(r, e.Name()); ok {
			disks = append(disks, d)
		}
	}
	sort.Slice(disks, func(i, j int) bool { return disks[i].Name < disks[j].Name })
	return disks
}

func disk(r Roots, name string) (plan.Disk, bool) {
	dir := filepath.Join(r.Sys, "block", name)
	size := readInt(dir, "size") * 512
	if size == 0 {
		return plan.Disk{}, false // empty card reader, ejected medium
	}
	real, _ := filepath.EvalSymlinks(dir)
	dev := filepath.Join(dir, "device")
	d := plan.Disk{
		Name:       name,
		Path:       "/dev/" + name,
		Model:      first(read(dev, "model"), read(dir, "device/../model")),
		Serial:     first(read(dir, "serial"), read(dev, "serial"), read(dev, "../serial"), vpdSerial(dev)),
		WWN:        first(read(dir, "wwid"), read(dev, "wwid")),
		SizeBytes:  size,
		Rotational: read(dir, "queue/rotational") == "1",
		Removable:  read(dir, "removable") == "1",
		Transport:  transport(name, real),
	}
	d.ByPath = byPath(r, name, real, d.Transport)
	return d, true
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// vpdSerial reads the SCSI unit serial number page (0x80): 4 bytes of
// header, then the serial.
func vpdSerial(dev string) string {
	b, err := os.ReadFile(filepath.Join(dev, "vpd_pg80"))
	if err != nil || len(b) < 4 {
		return ""
	}
	return strings.TrimSpace(strings.Trim(string(b[4:]), "\x00"))
}

func transport(name, real string) string {
	switch {
	case strings.Contains(real, "/usb"):
		return "usb"
	case strings.HasPrefix(name, "nvme"):
		return "nvme"
	case strings.HasPrefix(name, "vd"):
		return "virtio"
	case regexp.MustCompile(`/ata\d+/`).MatchString(real):
		return "sata"
	case strings.HasPrefix(name, "mmcblk"):
		return "mmc"
	default:
		return "scsi"
	}
}

var (
	pciAddr = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)
	ataPort = regexp.MustCompile(`^ata(\d+)$`)
	scsiHCT = regexp.MustCompile(`^\d+:\d+:\d+:\d+$`)
	usbPort = regexp.MustCompile(`^\d+-[\d.]+:\d+\.\d+$`)
)

// byPath returns the /dev/disk/by-path name of a disk: the real link when
// udev made one, otherwise the name udev gives it on the common buses.
func byPath(r Roots, name, real, transport string) string {
	links, _ := filepath.Glob(filepath.Join(r.Dev, "disk/by-path/*"))
	for _, l := range links {
		if t, err := os.Readlink(l); err == nil && filepath.Base(t) == name {
			return "/dev/disk/by-path/" + filepath.Base(l)
		}
	}
	var pci, ata, scsi, usb string
	for _, c := range strings.Split(real, "/") {
		switch {
		case pciAddr.MatchString(c):
			pci = c
		case ataPort.MatchString(c):
			ata = ataPort.FindStringSubmatch(c)[1]
		case scsiHCT.MatchString(c):
			scsi = c
		case usbPort.MatchString(c):
			usb = c[strings.Index(c, "-")+1:]
		}
	}
	if pci == "" {
		return ""
	}
	p := "pci-" + pci
	switch transport {
	case "nvme":
		p += "-nvme-" + first(read(filepath.Join(r.Sys, "block", name), "nsid"), "1")
	case "sata":
		p += "-ata-" + ata
	case "usb":
		p += "-usb-0:" + usb + "-scsi-0:0:0:0"
	case "scsi":
		if scsi != "" {
			p += "-scsi-" + scsi
		}
	}
	return "/dev/disk/by-path/" + p
}
