// Command ingot-installer is the program of Ingot's installer initramfs.
// As /init (pid 1) it sets the machine up, reads ingot.* from the kernel
// command line, brings the network up and runs discovery or an install. The
// same binary, copied into the installed system, is the first-boot
// phone-home (ingot-installer firstboot), and "ingot-installer run" runs an
// install or discovery by hand, e.g. against a disk image file in tests.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"ingot.dev/ingot/installer/firstboot"
)

var version = "dev"

func main() {
	if os.Getpid() == 1 {
		boot() // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingot-installer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: ingot-installer firstboot|run [flags] (as /init it needs no arguments)")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	switch args[0] {
	case "firstboot":
		fs := flag.NewFlagSet("firstboot", flag.ContinueOnError)
		url := fs.String("url", "", "where to report (the deployment's phone-home URL)")
		tok := fs.String("token-file", "/etc/ingot/firstboot.token", "file holding the phone-home token")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *url == "" {
			return fmt.Errorf("firstboot: --url is required")
		}
		return firstboot.Run(ctx, firstboot.Config{URL: *url, TokenFile: *tok, Log: log})
	case "run":
		return runManual(ctx, log, args[1:], stdout)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	}
	return fmt.Errorf("unknown command %q: want firstboot or run", args[0])
}
