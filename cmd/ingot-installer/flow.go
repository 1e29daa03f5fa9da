package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	efi "github.com/canonical/go-efilib"

	"ingot.dev/ingot/installer/bootentry"
	"ingot.dev/ingot/installer/cmdline"
	"ingot.dev/ingot/installer/install"
	"ingot.dev/ingot/installer/inventory"
	"ingot.dev/ingot/installer/localboot"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/installer/report"
	"ingot.dev/ingot/installer/sysinit"
)

// job is what one installer run does once the machine is up.
type job struct {
	cfg       cmdline.Config
	inv       plan.Inventory
	target    string          // test: a disk image file instead of the selected disk
	mounter   install.Mounter // test: a directory instead of mounting the root
	bootEntry bool
	// test: mounts for the installed system and a kexec stand-in
	localMounter localboot.Mounter
	kexec        localboot.Loader
	log          *slog.Logger
	out          io.Writer
}

// do runs discovery or the install and returns what the machine should do
// next: reboot, poweroff or kexec. A discovery answered with a deployment
// and its token installs in the same boot; one answered "local" boots the
// installed system on the disk.
func (j job) do(ctx context.Context) (string, error) {
	c := &report.Client{Base: j.cfg.Server, Token: j.cfg.Token, Log: j.log, MAC: j.inv.BootMAC}
	if j.cfg.Mode == cmdline.ModeDiscovery {
		r, err := install.Discover(ctx, c, j.inv, j.out)
		switch {
		case err != nil:
			return "", err
		case r.Action == plan.ActionPoweroff:
			return "poweroff", nil
		case r.Action == plan.ActionLocal:
			return j.bootLocal(ctx)
		case r.Token == "" || r.Deployment == "": // an older server: PXE has the token
			return "reboot", nil
		}
		j.cfg.Mode, j.cfg.Token, j.cfg.Deployment = cmdline.ModeInstall, r.Token, string(r.Deployment)
		c.Token = r.Token
		fmt.Fprintf(j.out, "ingot: installing deployment %s in this boot\n", r.Deployment)
	}
	self, _ := os.Executable()
	tail := report.NewTail(64 << 10) // the console, sent to the server at the end
	j.out = io.MultiWriter(j.out, tail)
	ic := install.Config{
		Client: c, Deployment: j.cfg.Deployment, Inventory: j.inv, Target: j.target,
		Firstboot: self, Mounter: j.mounter, Console: j.out, Log: j.log, ConsoleLog: tail.String,
	}
	if j.bootEntry {
		ic.BootEntry = setBootEntry
	}
	if j.target == "" { // a real machine, not a test's disk file
		ic.Kexec = sysinit.LoadKexec
	}
	p, err := install.Run(ctx, ic)
	if err != nil {
		j.reportFailure(ctx, c, err, tail.String())
		return "", err
	}
	return p.Reboot, nil
}

// bootLocal loads the installed system found on the machine's disks for
// kexec (the medium booted again after the install).
func (j job) bootLocal(ctx context.Context) (string, error) {
	var disks []string
	for _, d := range j.inv.Disks {
		disks = append(disks, d.Path)
	}
	if j.target != "" {
		disks = []string{j.target}
	}
	m, load := j.localMounter, j.kexec
	if m == nil {
		m = localboot.ReadOnly{Dir: "/mnt/installed"}
	}
	if load == nil {
		load = sysinit.KexecFiles
	}
	e, err := localboot.Load(ctx, disks, m, load)
	if err != nil {
		return "", fmt.Errorf("booting the installed system: %w", err)
	}
	fmt.Fprintf(j.out, "ingot: booting the installed system: %s %s\n", e.Kernel, e.Cmdline)
	return "kexec", nil
}

// reportFailure posts installer.failed; a failure to post is only printed.
func (j job) reportFailure(ctx context.Context, c *report.Client, err error, console string) {
	hint := install.Hint(err)
	if hint == "" {
		hint = "see the installer console; boot with ingot.debug=1 for a shell"
	}
	data := map[string]string{"message": err.Error(), "hint": hint, "log": console}
	if serr := c.Signal(ctx, j.cfg.Deployment, "installer.failed", data); serr != nil {
		fmt.Fprintf(j.out, "ingot: could not report the failure: %v\n", serr)
	}
}

func setBootEntry(ctx context.Context, dev *os.File, size int64, esp int, host string) error {
	opt, err := bootentry.Option(dev, size, esp, bootentry.Loader, "Ingot "+host)
	if err != nil {
		return err
	}
	_, err = bootentry.Install(efi.DefaultVarContext, opt)
	return err
}

// runManual is "ingot-installer run": one job from flags, on a machine that
// is already up (tests, rescue systems).
func runManual(ctx context.Context, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	line := fs.String("cmdline", "", "ingot.* parameters as on the kernel command line (default /proc/cmdline)")
	target := fs.String("target", "", "write to this disk image file or device instead of the selected disk")
	root := fs.String("root", "", "with a file -target: write the host config into this directory")
	sys := fs.String("sys", "", "sysfs root for the inventory (default /sys)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *line == "" {
		b, err := os.ReadFile("/proc/cmdline")
		if err != nil {
			return err
		}
		*line = string(b)
	}
	cfg, err := cmdline.Parse(*line)
	if err != nil {
		return err
	}
	j := job{cfg: cfg, inv: inventory.Collect(inventory.Roots{Sys: *sys}), target: *target, log: log, out: out}
	if *root != "" {
		j.mounter = install.DirMounter{Dir: *root}
	}
	next, err := j.do(ctx)
	if err == nil {
		fmt.Fprintf(out, "ingot: next: %s\n", next)
	}
	return err
}

func hint(err error) string { return install.Hint(err) }
