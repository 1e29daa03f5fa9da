package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"ingot.dev/ingot/installer/cmdline"
	"ingot.dev/ingot/installer/inventory"
	"ingot.dev/ingot/installer/netup"
	"ingot.dev/ingot/installer/sysinit"
)

// boot is the life of the installer as pid 1. It never returns: the machine
// reboots, powers off, or (ingot.debug=1, after a failure) keeps a shell.
func boot() {
	mountErr := sysinit.Mount()
	out := sysinit.Consoles(os.Stdout)
	fmt.Fprintf(out, "\ningot: installer %s starting (%.2fs since kernel start)\n", version, uptime())
	if mountErr != nil {
		fmt.Fprintf(out, "ingot: %v\n", mountErr)
	}
	b, _ := os.ReadFile("/proc/cmdline")
	cfg, cfgErr := cmdline.Parse(string(b))
	level := slog.LevelInfo
	if cfg.Debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	ctx := context.Background()

	next, err := func() (string, error) {
		if cfgErr != nil {
			return "", fmt.Errorf("kernel command line: %w", cfgErr)
		}
		start := time.Now()
		n, err := sysinit.LoadModules(ctx, log, sysinit.ModuleList)
		if err != nil {
			log.Warn("loading modules", "err", err)
		}
		if err := sysinit.MountEFIVars(); err != nil {
			log.Warn("efivarfs", "err", err)
		}
		fmt.Fprintf(out, "ingot: %d modules loaded in %.1fs (uptime %.2fs)\n", n, time.Since(start).Seconds(), uptime())
		if cfg.Mode == cmdline.ModeKit { // no network, no server
			inv := inventory.Collect(inventory.Roots{})
			j := job{cfg: cfg, inv: inv, bootEntry: inv.Firmware == "uefi", log: log, out: out}
			return j.doKit(ctx, consoleInput())
		}
		sysinit.WaitForDevices("/sys/class/net", 5*time.Second)
		lease, err := network(ctx, log, cfg)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(out, "ingot: network up on %s (%s) at %.2fs: %s\n", lease.Interface, lease.MAC, uptime(), strings.TrimSpace(lease.Summary))
		inv := inventory.Collect(inventory.Roots{})
		inv.BootMAC = lease.MAC
		fmt.Fprintf(out, "ingot: %s %s, %d CPUs, %d MiB, firmware %s, %d disks, %d NICs\n",
			inv.DMI.Vendor, inv.DMI.Product, inv.CPU.Threads, inv.MemoryBytes>>20, inv.Firmware, len(inv.Disks), len(inv.NICs))
		j := job{cfg: cfg, inv: inv, bootEntry: inv.Firmware == "uefi", log: log, out: out}
		return j.do(ctx)
	}()
	if err != nil {
		banner(out, err)
		if cfg.Debug {
			fmt.Fprintln(out, "ingot: ingot.debug=1: starting a shell; exit it to reboot")
			_ = sysinit.Shell()
		} else {
			fmt.Fprintln(out, "ingot: rebooting in 30s (boot with ingot.debug=1 to keep a shell)")
			time.Sleep(30 * time.Second)
		}
		next = "reboot"
	}
	fmt.Fprintf(out, "ingot: %s (uptime %.2fs)\n", next, uptime())
	err = sysinit.Finish(next)
	fmt.Fprintf(out, "ingot: %v\n", err)
	for {
		time.Sleep(time.Hour)
	}
}

// network brings the NIC up: the static configuration from the command
// line if there is one, else DHCP.
func network(ctx context.Context, log *slog.Logger, cfg cmdline.Config) (netup.Lease, error) {
	if cfg.Static != nil {
		return netup.Static(ctx, log, cfg.Iface, *cfg.Static, 30*time.Second)
	}
	return netup.Up(ctx, log, cfg.Iface, 90*time.Second)
}

func banner(out io.Writer, err error) {
	line := strings.Repeat("!", 72)
	fmt.Fprintf(out, "\n%s\n!! INGOT INSTALLER FAILED\n!! %v\n", line, err)
	if h := hint(err); h != "" {
		fmt.Fprintf(out, "!! what to do: %s\n", h)
	}
	fmt.Fprintf(out, "%s\n\n", line)
}

func uptime() float64 {
	b, _ := os.ReadFile("/proc/uptime")
	var f float64
	fmt.Sscanf(string(b), "%f", &f)
	return f
}
