// Package vbmc is a virtual BMC for the lab (`ingot lab bmc`): a Redfish
// service (redfish/emulator) that drives one qemu VM over its QMP socket.
// Power on is cont (after a system_reset, so a powered-off guest starts
// afresh), power off is stop, a hard reset is system_reset, the boot
// override sets unique bootindex values with qom-set before the reset (and
// restores the default order right after it: the override is one-time),
// and virtual media is blockdev-change-medium / eject on the CD drive; an
// http(s) image is downloaded first, as a BMC does.
package vbmc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"ingot.dev/ingot/redfish/emulator"
)

// Config configures a virtual BMC.
type Config struct {
	// QMPSocket is qemu's -qmp unix socket (started with server=on,wait=off).
	QMPSocket string
	// Username and Password are the Redfish credentials (default admin and
	// a password that must be set).
	Username, Password string
	// Devices maps boot targets to qdev ids (default Pxe net0, Cd cdrom0,
	// Hdd disk0). Targets without a device are not offered.
	Devices map[string]string
	// DefaultOrder is the boot order without an override (default Hdd, Pxe, Cd).
	DefaultOrder []string
	// CDROM is the qdev id of the CD drive (default cdrom0).
	CDROM string
	// MediaDir holds downloaded http(s) images (default the system's
	// temporary directory); each is deleted when ejected.
	MediaDir string
	Identity emulator.Identity
	Logger   *slog.Logger
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	if c.QMPSocket == "" {
		return errors.New("vbmc: no QMP socket")
	}
	if c.Password == "" {
		return errors.New("vbmc: no password")
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.Username == "" {
		c.Username = "admin"
	}
	if c.Devices == nil {
		c.Devices = map[string]string{"Pxe": "net0", "Cd": "cdrom0", "Hdd": "disk0"}
	}
	if c.DefaultOrder == nil {
		c.DefaultOrder = []string{"Hdd", "Pxe", "Cd"}
	}
	if c.CDROM == "" {
		c.CDROM = "cdrom0"
	}
	if c.MediaDir == "" {
		c.MediaDir = os.TempDir()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Identity.Manufacturer == "" {
		c.Identity = emulator.Identity{UUID: "8f0a2c9e-4b1d-4e55-9a51-0c7a1f6b2d11", Serial: "VBMC0001",
			Manufacturer: "QEMU", Model: "Standard PC (i440FX + PIIX, 1996)", Firmware: "ingot-vbmc"}
	}
}

// New returns the Redfish service for the VM behind cfg.QMPSocket.
func New(cfg Config) (*emulator.Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	m := &Machine{q: &qmp{socket: cfg.QMPSocket}, cfg: cfg}
	var targets []string
	for _, t := range []string{"Pxe", "Cd", "Hdd"} {
		if _, ok := cfg.Devices[t]; ok {
			targets = append(targets, t)
		}
	}
	return emulator.New(emulator.Config{Username: cfg.Username, Password: cfg.Password, Machine: m,
		Identity: cfg.Identity, BootTargets: append([]string{"None"}, targets...), Logger: cfg.Logger}), nil
}

// Serve answers Redfish on ln until ctx ends.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Machine drives one qemu VM over QMP.
type Machine struct {
	q   *qmp
	cfg Config

	mu         sync.Mutex
	downloaded string // the downloaded image in the drive, deleted on eject
}

var _ emulator.Machine = (*Machine)(nil)

// PowerOn reports whether the guest is running.
func (m *Machine) PowerOn(ctx context.Context) (bool, error) {
	var st struct {
		Running bool   `json:"running"`
		Status  string `json:"status"`
	}
	if err := m.q.run(ctx, "query-status", nil, &st); err != nil {
		return false, err
	}
	return st.Running, nil
}

// Reset maps Redfish reset types onto QMP.
func (m *Machine) Reset(ctx context.Context, t, boot string) error {
	switch t {
	case "ForceOff":
		return m.q.run(ctx, "stop", nil, nil)
	case "GracefulShutdown":
		return m.q.run(ctx, "system_powerdown", nil, nil) // ACPI; the caller forces off if ignored
	}
	if err := m.setBootOrder(ctx, boot); err != nil {
		return err
	}
	// The firmware's boot order is fixed at the reset; restoring the
	// default order right after makes the override one-time: the guest's
	// own reboots (the installer's) boot the default order.
	if err := m.q.runUntil(ctx, "system_reset", nil, nil, "RESET"); err != nil {
		return err
	}
	if boot != "" && boot != "None" {
		if err := m.setBootOrder(ctx, ""); err != nil {
			return err
		}
	}
	return m.q.run(ctx, "cont", nil, nil)
}

// setBootOrder gives the boot target (none: the default order) bootindex 0 and the others the
// default order after it; every index stays unique, so all are cleared
// first.
func (m *Machine) setBootOrder(ctx context.Context, boot string) error {
	order := []string{}
	if boot != "" && boot != "None" {
		if _, ok := m.cfg.Devices[boot]; !ok {
			return fmt.Errorf("no device for boot target %s", boot)
		}
		order = append(order, boot)
	}
	for _, t := range m.cfg.DefaultOrder {
		if t != boot {
			order = append(order, t)
		}
	}
	for _, t := range order {
		if err := m.bootindex(ctx, m.cfg.Devices[t], -1); err != nil {
			return err
		}
	}
	for i, t := range order {
		if err := m.bootindex(ctx, m.cfg.Devices[t], i); err != nil {
			return err
		}
	}
	return nil
}

func (m *Machine) bootindex(ctx context.Context, dev string, n int) error {
	if dev == "" {
		return nil
	}
	return m.q.run(ctx, "qom-set", map[string]any{"path": "/machine/peripheral/" + dev, "property": "bootindex", "value": n}, nil)
}

// InsertMedia puts image in the CD drive: a local path, a file:// URL, or
// an http(s) URL, downloaded into MediaDir first.
func (m *Machine) InsertMedia(ctx context.Context, image string) error {
	file := strings.TrimPrefix(image, "file://")
	downloaded := ""
	if strings.HasPrefix(image, "http://") || strings.HasPrefix(image, "https://") {
		f, err := download(ctx, image, m.cfg.MediaDir)
		if err != nil {
			return err
		}
		file, downloaded = f, f
	}
	if err := m.q.run(ctx, "blockdev-change-medium", map[string]any{"id": m.cfg.CDROM, "filename": file, "format": "raw"}, nil); err != nil {
		if downloaded != "" {
			os.Remove(downloaded)
		}
		return err
	}
	m.swapDownloaded(downloaded)
	return nil
}

// EjectMedia empties the CD drive.
func (m *Machine) EjectMedia(ctx context.Context) error {
	if err := m.q.run(ctx, "eject", map[string]any{"id": m.cfg.CDROM, "force": true}, nil); err != nil {
		return err
	}
	m.swapDownloaded("")
	return nil
}

// swapDownloaded records the downloaded image now in the drive and deletes
// the one it replaced.
func (m *Machine) swapDownloaded(f string) {
	m.mu.Lock()
	old := m.downloaded
	m.downloaded = f
	m.mu.Unlock()
	if old != "" && old != f {
		os.Remove(old)
	}
}
