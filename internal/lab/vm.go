package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Firmware is the VM's firmware: SeaBIOS or OVMF.
type Firmware string

// Firmwares.
const (
	BIOS Firmware = "bios"
	UEFI Firmware = "uefi"
)

// OVMF firmware files (Debian's ovmf package).
const (
	OVMFCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	OVMFVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// Disk is a virtual disk.
type Disk struct {
	Path      string
	Format    string // raw (default) or qcow2
	Bus       string // virtio (default), nvme, sata, usb
	Serial    string
	BootIndex int // 0: not a boot device
	ReadOnly  bool
	ID        string // qdev id of the device (for QMP, e.g. a virtual BMC's boot order); default none
}

// NIC is a virtual NIC on the lab network.
type NIC struct {
	MAC       net.HardwareAddr
	BootIndex int
	// ROM is the option ROM: "" is qemu's default (iPXE from ipxe-qemu);
	// "none" leaves the firmware's own PXE (OVMF) to boot.
	ROM string
}

// VMConfig describes a VM. Zero values are the small defaults.
type VMConfig struct {
	Name      string
	Dir       string // work directory: console log, OVMF vars, QMP socket, TPM state
	Firmware  Firmware
	MemoryMiB int // default 1024
	CPUs      int // virtual CPUs; default 1
	Disks     []Disk
	NICs      []NIC // need a Net
	Kernel    string
	Initrd    string
	Append    string
	CDROM     string
	// EmptyCD adds a CD drive with no medium (qdev id cdrom0, no boot
	// index) for virtual media; exclusive with CDROM.
	EmptyCD bool
	// Paused starts the VM powered off (-S -no-shutdown) for a virtual
	// BMC to power on.
	Paused bool
	TPM    bool   // a swtpm TPM 2.0
	CPU    string // default "max" (emulated AES-NI helps dm-crypt)
	Extra  []string
}

// VM is a running qemu.
type VM struct {
	Config  VMConfig
	Console *Console
	QMPPath string
	cmd     *exec.Cmd
	swtpm   *exec.Cmd
	done    chan struct{}
	err     error
}

// StartVM starts a VM without a lab network (its NICs, if any, are
// rejected: use Net.StartVM).
func StartVM(ctx context.Context, cfg VMConfig) (*VM, error) {
	if len(cfg.NICs) > 0 {
		return nil, errors.New("starting VM: NICs need a lab network (Net.StartVM)")
	}
	return start(ctx, nil, cfg)
}

// StartVM starts a VM whose NICs are taps on this network.
func (n *Net) StartVM(ctx context.Context, cfg VMConfig) (*VM, error) {
	return start(ctx, n, cfg)
}

func start(ctx context.Context, n *Net, cfg VMConfig) (*VM, error) {
	if cfg.Dir == "" {
		return nil, errors.New("starting VM: VMConfig.Dir is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	vm := &VM{Config: cfg, QMPPath: filepath.Join(cfg.Dir, "qmp.sock"), done: make(chan struct{})}
	args, err := vm.args(ctx, n)
	if err != nil {
		return nil, err
	}
	if vm.Console, err = newConsole(filepath.Join(cfg.Dir, "console.log")); err != nil {
		return nil, err
	}
	vm.Console.exited = vm.done
	vm.Console.stalled = vm.stalled
	name := "qemu-system-x86_64"
	if n != nil {
		args = append([]string{"netns", "exec", n.NS, name}, args...)
		name = "ip"
	}
	vm.cmd = exec.Command(name, args...) // not CommandContext: Stop owns its end
	vm.cmd.Stdout, vm.cmd.Stderr = vm.Console.file, vm.Console.file
	vm.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := vm.cmd.Start(); err != nil {
		vm.Console.file.Close()
		vm.stopTPM()
		return nil, fmt.Errorf("starting qemu: %w", err)
	}
	go func() {
		vm.err = vm.cmd.Wait()
		close(vm.done)
	}()
	return vm, nil
}

// Stop kills qemu (and swtpm) and waits for them.
func (vm *VM) Stop() {
	if vm.cmd.Process != nil {
		_ = vm.cmd.Process.Kill()
	}
	<-vm.done
	vm.stopTPM()
	vm.Console.file.Close()
}

// Wait waits for qemu to exit (a guest power-off with -no-reboot, or a quit).
func (vm *VM) Wait(ctx context.Context) error {
	select {
	case <-vm.done:
		return vm.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Exited reports whether qemu has exited.
func (vm *VM) Exited() bool {
	select {
	case <-vm.done:
		return true
	default:
		return false
	}
}

func (vm *VM) stopTPM() {
	if vm.swtpm != nil && vm.swtpm.Process != nil {
		_ = vm.swtpm.Process.Kill()
		_ = vm.swtpm.Wait()
	}
}

// startTPM runs swtpm for the VM; its state persists in Dir/tpm.
func (vm *VM) startTPM(ctx context.Context) (string, error) {
	dir := filepath.Join(vm.Config.Dir, "tpm")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	sock := filepath.Join(dir, "sock")
	vm.swtpm = exec.Command("swtpm", "socket", "--tpm2", "--tpmstate", "dir="+dir, "--ctrl", "type=unixio,path="+sock)
	vm.swtpm.Stdout, vm.swtpm.Stderr = io.Discard, io.Discard
	vm.swtpm.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := vm.swtpm.Start(); err != nil {
		return "", fmt.Errorf("starting swtpm: %w", err)
	}
	for range 100 {
		if _, err := os.Stat(sock); err == nil {
			return sock, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("swtpm socket did not appear")
}

// stalled asks qemu whether it has stopped the guest, which looks from the
// console like a hung machine: with a disk write failing on the host (its
// filesystem full, say) qemu pauses the VM in state io-error.
func (vm *VM) stalled() string {
	if vm.Exited() {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := vm.QMP(ctx, "query-status", nil)
	if err != nil {
		return fmt.Sprintf(" (qemu does not answer: %v)", err)
	}
	var st struct {
		Running bool   `json:"running"`
		Status  string `json:"status"`
	}
	if err := json.Unmarshal(raw, &st); err != nil || st.Running {
		return ""
	}
	if st.Status == "io-error" {
		return " (qemu paused the VM after a disk write failed on the host: is the filesystem of " + vm.Config.Dir + " full?)"
	}
	return " (qemu has stopped the VM: " + st.Status + ")"
}

func itoa(i int) string { return strconv.Itoa(i) }
