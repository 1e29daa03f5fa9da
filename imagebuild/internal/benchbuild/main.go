// Command benchbuild times the debootstrap backend (debootstrap, cleaning,
// assembly into a bootable GPT disk) against plain `debootstrap` +
// `mkfs.ext4 -d` of the same suite and packages in the same run, and prints
// the ratio; then it materializes a host image on the built image and prints
// its time and new bytes. Run it through `make bench-build` (needs root and
// a mirror).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/debootstrap"
)

func main() {
	work := flag.String("work", "build/bench-build", "work directory")
	rounds := flag.Int("rounds", 3, "alternating rounds of each build; the medians are compared")
	flag.Parse()
	if err := run(context.Background(), *work, max(*rounds, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "bench-build:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, work string, rounds int) error {
	work, err := filepath.Abs(work)
	if err != nil {
		return err
	}
	os.RemoveAll(work)
	cache := filepath.Join(work, "debs")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(work)
	r := imagebuild.Recipe{Name: "bench", Backend: debootstrap.Name, Suite: "bookworm",
		Packages: []string{"initramfs-tools", "linux-image-cloud-amd64", "systemd-sysv", "udev"}, Cmdline: "console=ttyS0"}.WithDefaults()
	mirror, err := debootstrap.MirrorFor(os.DirFS("/"), r.Suite)
	if err != nil {
		return err
	}
	base := []string{"--variant=minbase", "--merged-usr", "--include=" + strings.Join(r.Packages, ","), "--cache-dir=" + cache}
	// Warm the package cache untimed, so neither side pays for downloads.
	if err := sh(ctx, "debootstrap", append(base, "--download-only", r.Suite, filepath.Join(work, "dl"), mirror)...); err != nil {
		return err
	}
	b, err := debootstrap.New(debootstrap.Config{Epoch: time.Unix(1700000000, 0), CacheDir: cache})
	if err != nil {
		return err
	}
	// Alternate the two builds and compare medians: the machine is shared
	// and its load drifts over minutes.
	var plains, ingots []time.Duration
	var a *imagebuild.Artifacts
	for i := range rounds {
		start := time.Now()
		tree := filepath.Join(work, "plain")
		if err := sh(ctx, "debootstrap", append(base, r.Suite, tree, mirror)...); err != nil {
			return err
		}
		if err := sh(ctx, "mkfs.ext4", "-q", "-F", "-d", tree, filepath.Join(work, "plain.ext4"), "1G"); err != nil {
			return err
		}
		plains = append(plains, time.Since(start))
		os.RemoveAll(tree)

		if a != nil {
			a.Remove()
		}
		start = time.Now()
		a, err = imagebuild.Build(ctx, imagebuild.NewRegistry(b), r, imagebuild.Config{WorkRoot: filepath.Join(work, "ingot"), Epoch: time.Unix(1700000000, 0)})
		if err != nil {
			return err
		}
		ingots = append(ingots, time.Since(start))
		fmt.Printf("round %d: plain %v, ingot %v\n", i+1, plains[i].Round(100*time.Millisecond), ingots[i].Round(100*time.Millisecond))
	}
	plain, ingot := median(plains), median(ingots)
	info, _ := os.Stat(a.Payloads[0].Path)
	used := diskUsage(a.Payloads[0].Path)
	hostErr := benchHostImage(ctx, work, a)
	a.Remove()
	fmt.Printf("plain debootstrap + mkfs.ext4 -d: %v (median of %d)\n", plain.Round(100*time.Millisecond), rounds)
	fmt.Printf("ingot debootstrap backend + bootable disk: %v (median of %d; disk %d MiB, %d MiB allocated)\n", ingot.Round(100*time.Millisecond), rounds, info.Size()>>20, used>>20)
	ratio := ingot.Seconds() / plain.Seconds()
	fmt.Printf("ratio: %.3f (overhead %+.1f %%, limit +15 %%)\n", ratio, (ratio-1)*100)
	if ratio > 1.15 {
		return errors.Join(hostErr, fmt.Errorf("overhead %.1f %% is over 15 %%", (ratio-1)*100))
	}
	return hostErr
}

func sh(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, out[max(0, len(out)-500):])
	}
	return nil
}

func diskUsage(path string) int64 {
	out, err := exec.Command("du", "-B1", path).Output()
	if err != nil {
		return 0
	}
	var n int64
	fmt.Sscan(string(out), &n)
	return n
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
