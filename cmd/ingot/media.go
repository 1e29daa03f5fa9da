package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"ingot.dev/ingot/installer/cmdline"
	"ingot.dev/ingot/media"
)

func newMediaCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "media",
		Short: "Build and write boot media (hybrid ISO/USB images) for hosts that cannot PXE",
	}
	cmd.AddCommand(newMediaBuildCommand(app), newMediaWriteCommand(app), newImportReportsCommand(app))
	return cmd
}

type mediaBuildFlags struct {
	generic, siteKit      bool
	kit                   kitFlags
	host                  string
	out, installer        string
	deployment, planToken string
	appendArgs            []string
	ip, gw, iface         string
	dns                   []string
}

func newMediaBuildCommand(app *App) *cobra.Command {
	var f mediaBuildFlags
	cmd := &cobra.Command{
		Use:   "build (--generic | --host H | --deployment ID --plan-token T | --site-kit (--hosts H,... | --hostgroup G)) -O FILE",
		Short: "Build a hybrid ISO/USB image that boots the installer in BIOS and UEFI",
		Long: "The image boots as a CD and from a USB stick.\n" +
			"--generic boots discovery: the server (--server, the URL the hosts reach it at) identifies the host by\n" +
			"MAC and serial; DHCP, or a static address with --ip/--gw/--dns/--iface.\n" +
			"--host H fetches the server's ISO for H's running deployment (its installer token and the host's static\n" +
			"address baked in; needs deploy scope on H's hostgroup) over a one-time URL.\n" +
			"--deployment with --plan-token bakes a deployment in by hand.\n" +
			"--site-kit makes a self-contained kit for an air-gapped site: offline deployments of the hosts, their\n" +
			"plans, the images they need and a report area, all signed by the server; bring the stick back and run\n" +
			"`ingot media import-reports`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMediaBuild(cmd.Context(), app, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.generic, "generic", false, "an image for any host: discovery")
	fl.StringVar(&f.host, "host", "", "the image of this host's running deployment, built by the server")
	fl.StringVarP(&f.out, "out", "O", "", "image file to write (required)")
	fl.StringVar(&f.installer, "installer", "build/installer", "directory with the installer's vmlinuz and initramfs.cpio.gz (make installer)")
	fl.StringVar(&f.deployment, "deployment", "", "per-host image by hand: the deployment to install")
	fl.StringVar(&f.planToken, "plan-token", "", "per-host image by hand: the host's plan token")
	fl.StringArrayVar(&f.appendArgs, "append", nil, "extra kernel argument (repeatable), e.g. ingot.debug=1")
	fl.StringVar(&f.ip, "ip", "", "static address instead of DHCP, ADDRESS/PREFIX (e.g. 10.0.0.5/24)")
	fl.StringVar(&f.gw, "gw", "", "with --ip: default gateway")
	fl.StringSliceVar(&f.dns, "dns", nil, "with --ip: DNS servers (comma-separated or repeated)")
	fl.StringVar(&f.iface, "iface", "", "the NIC to configure, by name or MAC (default: any)")
	fl.BoolVar(&f.siteKit, "site-kit", false, "a self-contained air-gap kit for --hosts or --hostgroup")
	fl.StringSliceVar(&f.kit.hosts, "hosts", nil, "site kit: the hosts (comma-separated)")
	fl.StringVar(&f.kit.hostgroup, "hostgroup", "", "site kit: every host of this hostgroup")
	fl.BoolVar(&f.kit.keepTang, "keep-tang", false, "site kit: keep the Tang pins (a Tang server is reachable at the site); default TPM-only")
	fl.StringVar(&f.kit.timeout, "timeout", "", "site kit: how long the offline deployments wait for their reports (default 720h)")
	fl.Int64Var(&f.kit.reportArea, "report-area", media.DefaultReportArea, "site kit: bytes of the report area (1 MiB per host report)")
	return cmd
}

func runMediaBuild(ctx context.Context, app *App, f mediaBuildFlags) error {
	if f.siteKit {
		if f.generic || f.host != "" || f.deployment != "" || f.planToken != "" {
			return errors.New("media build: --site-kit goes alone, without --generic, --host or --deployment")
		}
		return runKitBuild(ctx, app, f)
	}
	perHost := f.deployment != "" || f.planToken != ""
	if n := btoi(f.generic) + btoi(perHost) + btoi(f.host != ""); n != 1 {
		return errors.New("media build: give either --generic, --host H, or --deployment with --plan-token")
	}
	if f.out == "" {
		return errors.New("media build: no output file: give -O FILE")
	}
	start := time.Now()
	var err error
	if f.host != "" {
		err = fetchHostMedia(ctx, app, f.host, f.out)
	} else {
		err = buildMedia(ctx, app, f, perHost)
	}
	if err != nil {
		return err
	}
	fi, err := os.Stat(f.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Out, "wrote %s (%.1f MiB, BIOS and UEFI, CD and USB) in %v\n", f.out, float64(fi.Size())/(1<<20), time.Since(start).Round(time.Millisecond))
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildMedia builds a generic or hand-made per-host image locally.
func buildMedia(ctx context.Context, app *App, f mediaBuildFlags, perHost bool) error {
	if err := reachableServer(app.Server); err != nil {
		return err
	}
	static, err := staticFlags(f)
	if err != nil {
		return err
	}
	c := media.Config{InstallerDir: f.installer, Out: f.out, ServerURL: app.Server, ExtraArgs: f.appendArgs, Static: static, Iface: f.iface}
	if perHost {
		return media.BuildHost(ctx, c, media.Host{Token: f.planToken, Deployment: f.deployment})
	}
	return media.BuildGeneric(ctx, c)
}

// staticFlags reads --ip, --gw and --dns the way the installer will.
func staticFlags(f mediaBuildFlags) (*cmdline.Static, error) {
	if f.ip == "" {
		if f.gw != "" || len(f.dns) > 0 {
			return nil, errors.New("media build: --gw and --dns need --ip ADDRESS/PREFIX")
		}
		return nil, nil
	}
	args := []string{"ingot.server=http://x", "ingot.ip=" + f.ip}
	if f.gw != "" {
		args = append(args, "ingot.gw="+f.gw)
	}
	if len(f.dns) > 0 {
		args = append(args, "ingot.dns="+strings.Join(f.dns, ","))
	}
	c, err := cmdline.Parse(strings.Join(args, " "))
	if err != nil {
		return nil, fmt.Errorf("media build: %w", err)
	}
	return c.Static, nil
}

// fetchHostMedia downloads the server's ISO of host's running deployment
// over a fresh one-time URL, into out (replaced atomically).
func fetchHostMedia(ctx context.Context, app *App, host, out string) error {
	c := app.client()
	t, err := c.HostMedia(ctx, host)
	if err != nil {
		return fmt.Errorf("media build --host %s: %w", host, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".media-*.iso")
	if err != nil {
		return fmt.Errorf("media build: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := c.Download(ctx, t.Path, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("media build --host %s: downloading the ISO of deployment %s: %w", host, t.Deployment, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("media build: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("media build: %w", err)
	}
	fmt.Fprintf(app.Err, "ISO of deployment %s of host %s (it holds the host's installer token: keep it safe)\n", t.Deployment, host)
	return nil
}

// reachableServer refuses a loopback server URL: the hosts booting the
// image could not reach it.
func reachableServer(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("media build: server URL %q: %w", s, err)
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
		return fmt.Errorf("media build: server %s is loopback, which the booted hosts cannot reach: give --server http://ADDRESS:PORT", s)
	}
	return nil
}

func newMediaWriteCommand(app *App) *cobra.Command {
	var force, quiet bool
	cmd := &cobra.Command{
		Use:   "write IMAGE DEVICE",
		Short: "Write a boot image onto a USB stick or disk",
		Long: "Refuses a DEVICE that is mounted (or one of its partitions is), that holds the running\n" +
			"system's root, or that is a regular file (unless --force).",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMediaWrite(cmd.Context(), app, args[0], args[1], force, quiet)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "allow a target that is a regular file (created if missing)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func runMediaWrite(ctx context.Context, app *App, image, device string, force, quiet bool) error {
	c := media.WriteConfig{Image: image, Target: device, Force: force}
	var bar *progressbar.ProgressBar
	if !quiet {
		c.Progress = func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(app.Err),
					progressbar.OptionShowBytes(true), progressbar.OptionSetDescription("writing"),
					progressbar.OptionThrottle(200*time.Millisecond))
			}
			bar.Set64(done)
		}
	}
	start := time.Now()
	err := media.Write(ctx, c)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(app.Err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Out, "wrote %s to %s in %v\n", image, device, time.Since(start).Round(time.Millisecond))
	return nil
}
