package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// args builds the qemu command line.
func (vm *VM) args(ctx context.Context, n *Net) ([]string, error) {
	c := vm.Config
	mem := c.MemoryMiB
	if mem == 0 {
		mem = 1024
	}
	cpu := c.CPU
	if cpu == "" {
		cpu = "max"
	}
	cpus := max(c.CPUs, 1)
	a := []string{"-accel", "tcg", "-cpu", cpu, "-smp", itoa(cpus), "-m", itoa(mem), "-nographic",
		"-qmp", "unix:" + qemuEscape(vm.QMPPath) + ",server=on,wait=off", "-device", "virtio-rng-pci", "-name", c.Name}
	fw, err := firmwareArgs(c)
	if err != nil {
		return nil, err
	}
	a = append(a, fw...)
	a = append(a, diskArgs(c.Disks)...)
	nics, err := nicArgs(ctx, n, c.NICs)
	if err != nil {
		return nil, err
	}
	a = append(a, nics...)
	if c.Kernel != "" {
		a = append(a, "-kernel", c.Kernel, "-append", c.Append)
		if c.Initrd != "" {
			a = append(a, "-initrd", c.Initrd)
		}
	}
	switch {
	case c.CDROM != "":
		a = append(a, "-drive", "if=none,id=cd0,media=cdrom,readonly=on,file="+qemuEscape(c.CDROM), "-device", "ide-cd,drive=cd0,id=cdrom0,bootindex=1")
	case c.EmptyCD:
		a = append(a, "-drive", "if=none,id=cd0,media=cdrom,readonly=on", "-device", "ide-cd,drive=cd0,id=cdrom0")
	}
	if c.Paused {
		a = append(a, "-S", "-no-shutdown")
	}
	if c.TPM {
		sock, err := vm.startTPM(ctx)
		if err != nil {
			return nil, err
		}
		a = append(a, "-chardev", "socket,id=chrtpm,path="+qemuEscape(sock), "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0")
	}
	return append(a, c.Extra...), nil
}

func firmwareArgs(c VMConfig) ([]string, error) {
	if c.Firmware != UEFI {
		return []string{"-machine", "pc"}, nil
	}
	vars := filepath.Join(c.Dir, "OVMF_VARS.fd")
	if _, err := os.Stat(vars); err != nil { // keep the vars across restarts of one VM
		b, err := os.ReadFile(OVMFVars)
		if err != nil {
			return nil, fmt.Errorf("UEFI VM needs Debian's ovmf package: %w", err)
		}
		if err := os.WriteFile(vars, b, 0o644); err != nil {
			return nil, err
		}
	}
	a := []string{"-machine", "q35",
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + OVMFCode,
		"-drive", "if=pflash,format=raw,unit=1,file=" + qemuEscape(vars)}
	if ipxeROMs(c.NICs) {
		// iPXE's ROM does the network boot; OVMF's own PXE stack would
		// add PXEv4/PXEv6 entries after it that wait for DHCP timeouts
		// before the disk is tried (after iPXE's "exit 1" for local boot).
		a = append(a, "-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=n",
			"-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n")
	}
	return a, nil
}

// ipxeROMs reports whether the VM has NICs and all boot through iPXE's ROM.
func ipxeROMs(nics []NIC) bool {
	for _, n := range nics {
		if n.ROM == "none" {
			return false
		}
	}
	return len(nics) > 0
}

func diskArgs(disks []Disk) []string {
	var a []string
	usb := false
	for i, d := range disks {
		id := fmt.Sprintf("d%d", i)
		format := d.Format
		if format == "" {
			format = "raw"
		}
		drive := fmt.Sprintf("if=none,id=%s,format=%s,file=%s", id, format, qemuEscape(d.Path))
		if d.ReadOnly {
			drive += ",readonly=on"
		} else {
			// Zeros the guest writes (an md resync of a blank mirror
			// copies a whole disk of them) and its discards stay holes
			// in the host file: a 13 GiB mirror member would otherwise
			// take 13 GiB of the host's disk.
			drive += ",discard=unmap,detect-zeroes=unmap"
		}
		dev := ""
		switch d.Bus {
		case "nvme":
			dev = "nvme,drive=" + id + ",serial=" + orDefault(d.Serial, "INGOT"+id)
		case "sata":
			dev = "ide-hd,drive=" + id
		case "usb":
			if !usb {
				a = append(a, "-device", "qemu-xhci,id=xhci")
				usb = true
			}
			dev = "usb-storage,bus=xhci.0,drive=" + id
		default:
			dev = "virtio-blk-pci,drive=" + id
			if d.Serial != "" {
				dev += ",serial=" + d.Serial
			}
		}
		if d.BootIndex > 0 {
			dev += ",bootindex=" + itoa(d.BootIndex)
		}
		if d.ID != "" {
			dev += ",id=" + d.ID
		}
		a = append(a, "-drive", drive, "-device", dev)
	}
	return a
}

func nicArgs(ctx context.Context, n *Net, nics []NIC) ([]string, error) {
	var a []string
	for i, nic := range nics {
		tap, err := n.AddTap(ctx)
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("n%d", i)
		dev := fmt.Sprintf("virtio-net-pci,netdev=%s,mac=%s", id, nic.MAC)
		if nic.BootIndex > 0 {
			dev += ",bootindex=" + itoa(nic.BootIndex)
		}
		if nic.ROM == "none" {
			dev += ",romfile="
		} else if nic.ROM != "" {
			dev += ",romfile=" + nic.ROM
		}
		a = append(a, "-netdev", "tap,id="+id+",ifname="+tap+",script=no,downscript=no", "-device", dev)
	}
	if len(nics) == 0 {
		a = append(a, "-nic", "none")
	}
	return a, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// qemuEscape doubles commas, qemu's escape inside option values (a test
// named "a,b" puts a comma into its temp directory).
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }
