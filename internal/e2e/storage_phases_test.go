package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/installer/clevis/clevistest"
	"ingot.dev/ingot/installer/firstboot"
	"ingot.dev/ingot/internal/lab"
)

// The LUKS volume the mirror+cis preset makes, and the console lines of
// the installed system's initramfs around its unlock.
const (
	cryptDevice = "/dev/md/md-data"
)

var (
	unlockPrompt = regexp.MustCompile(`Please unlock disk crypt`)
	unlocked     = regexp.MustCompile(`cryptsetup: crypt: set up successfully`)
	loginPrompt  = regexp.MustCompile(`e2e-storage login:`)
)

// sshKey makes a key pair for the test and returns the private key file
// and the public key line.
func newSSHKey(t *testing.T) (string, string) {
	t.Helper()
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e-storage", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return key, strings.TrimSpace(string(pub))
}

// vmShell runs commands as root in the installed system over SSH.
type vmShell struct {
	key, addr string
}

func shellFor(t *testing.T, key string, n *lab.Net, r firstboot.Report) vmShell {
	t.Helper()
	for _, a := range r.Addresses {
		if p, err := netip.ParsePrefix(a); err == nil && n.Subnet.Contains(p.Addr()) {
			return vmShell{key: key, addr: p.Addr().String()}
		}
	}
	t.Fatalf("no address on the lab network %s in %v", n.Subnet, r.Addresses)
	return vmShell{}
}

// run runs cmd with stdin and returns its combined output.
func (s vmShell) run(ctx context.Context, stdin, cmd string) (string, error) {
	c := exec.CommandContext(ctx, "ssh", "-i", s.key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "root@"+s.addr, cmd)
	c.Stdin = strings.NewReader(stdin)
	out, err := c.CombinedOutput()
	return string(out), err
}

// wait runs cmd until it succeeds (sshd may come up after the phone-home).
func (s vmShell) wait(ctx context.Context, stdin, cmd string) (string, error) {
	var out string
	var err error
	for range 40 {
		if out, err = s.run(ctx, stdin, cmd); err == nil || ctx.Err() != nil {
			return out, err
		}
		time.Sleep(3 * time.Second)
	}
	return out, err
}

// storagePhases reuses the deployed VM: the escrowed recovery passphrase
// and real clevis open the volume; a kernel update reaches both ESPs; with
// Tang down a t=2 volume waits at the prompt until Tang is back; a t=1
// token over Tang and the TPM unlocks with Tang down, on a mirror that boots
// degraded with one disk gone.
func storagePhases(t *testing.T, ctx context.Context, l *Lab, m *machine, tang *clevistest.Tang, sh vmShell) {
	phase := func(name string, f func(ctx context.Context) error) {
		start := time.Now()
		pctx, cancel := context.WithTimeout(ctx, 9*time.Minute) // a reboot under TCG takes 2-3, more when the machine is slow
		defer cancel()
		if err := f(pctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("phase %-42s %v", name, time.Since(start).Round(time.Second))
	}
	phase("recovery passphrase opens the volume", func(ctx context.Context) error { return checkRecovery(ctx, l, sh) })
	phase("real clevis unlocks Ingot's binding", func(ctx context.Context) error {
		out, err := sh.wait(ctx, "", "clevis luks pass -d "+cryptDevice+" -s 1 | cryptsetup open --test-passphrase --key-slot 1 --key-file - "+cryptDevice)
		if err != nil {
			return fmt.Errorf("clevis luks pass | cryptsetup open --test-passphrase: %v: %s", err, out)
		}
		return nil
	})
	phase("a kernel update reaches every ESP", func(ctx context.Context) error { return checkKernelUpdate(ctx, sh) })
	phase("tang down: t=2 waits at the prompt", func(ctx context.Context) error { return checkTangDown(ctx, m, tang, sh) })
	phase("t=1 over tang + tpm2, tang down, a disk gone: the TPM alone unlocks the degraded mirror", func(ctx context.Context) error {
		return checkThresholdOneDegraded(ctx, l, m, tang, sh)
	})
}

func checkRecovery(ctx context.Context, l *Lab, sh vmShell) error {
	keys, err := l.Client.RecoveryKeys(ctx, "e2e-storage")
	if err != nil {
		return err
	}
	if len(keys) != 1 || keys[0].Volume != "crypt" || keys[0].Device != cryptDevice || keys[0].Passphrase == "" {
		return fmt.Errorf("escrowed keys %+v, want one for crypt on %s", keys, cryptDevice)
	}
	test := "cryptsetup open --test-passphrase --key-slot 0 --key-file - " + cryptDevice
	if out, err := sh.wait(ctx, keys[0].Passphrase, test); err != nil {
		return fmt.Errorf("the escrowed passphrase does not open keyslot 0: %v: %s", err, out)
	}
	if _, err := sh.run(ctx, "not-the-passphrase", test); err == nil {
		return fmt.Errorf("a wrong passphrase opens keyslot 0")
	}
	return nil
}

// kernelUpdate stands in for apt installing a newer kernel: the running
// one's image under a higher version and its initramfs with zero padding
// appended (so the pair differs from what the ESPs hold; the kernel skips
// the zeros), then what update-initramfs runs when it has written one.
const kernelUpdate = `set -e
v=99.0-ingot-test
cp /boot/vmlinuz-$(uname -r) /boot/vmlinuz-$v
cp /boot/initrd.img-$(uname -r) /boot/initrd.img-$v
head -c 512 /dev/zero >> /boot/initrd.img-$v
run-parts --arg=$v --arg=/boot/initrd.img-$v /etc/initramfs/post-update.d
u=$(findmnt -n -o UUID /boot/efi)
for dev in $(blkid -c /dev/null -t UUID=$u -o device); do
	m=$(findmnt -n -o TARGET --source $dev | head -n 1)
	[ -n "$m" ] || { m=$(mktemp -d); mount -o ro $dev $m; }
	if cmp -s $m/vmlinuz /boot/vmlinuz-$v && cmp -s $m/initrd.img /boot/initrd.img-$v; then echo "ESP $dev: updated"; else echo "ESP $dev: stale"; fi
	[ $m = /boot/efi ] || umount $m
done`

// checkKernelUpdate: after a kernel update in the installed system, the
// ESP on each disk holds the new kernel and initramfs (the image's hook);
// the reboots of the next phases boot them, the degraded one from the
// second disk's ESP.
func checkKernelUpdate(ctx context.Context, sh vmShell) error {
	out, err := sh.run(ctx, "", kernelUpdate)
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	if n := strings.Count(out, ": updated"); n != 2 || strings.Contains(out, "stale") {
		return fmt.Errorf("%d ESPs updated, want 2:\n%s", n, out)
	}
	return nil
}

func checkTangDown(ctx context.Context, m *machine, tang *clevistest.Tang, sh vmShell) error {
	tang.Stop()
	from := len(m.vm.Console.Text())
	_, _ = sh.run(ctx, "", "systemctl reboot")
	_, at, err := m.vm.Console.Wait(ctx, unlockPrompt, from)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if _, _, err := m.vm.Console.Wait(wctx, unlocked, at); err == nil {
		return fmt.Errorf("the volume unlocked with Tang down and threshold 2")
	}
	tang.Start()
	if _, _, err := m.vm.Console.Wait(ctx, unlocked, at); err != nil {
		return fmt.Errorf("Tang is back but the volume did not unlock: %w", err)
	}
	_, _, err = m.vm.Console.Wait(ctx, loginPrompt, at)
	return err
}

// checkThresholdOneDegraded binds a second clevis token with threshold 1
// over the same Tang and the TPM (with clevis, unlocking with the escrowed
// passphrase), stops Tang and powers the machine off; it comes back with
// its first disk gone. The TPM alone must unlock, through the initramfs and
// ESP on the second disk, and both mirrors run degraded. (One boot for two
// checks: each boot costs minutes under TCG.)
func checkThresholdOneDegraded(ctx context.Context, l *Lab, m *machine, tang *clevistest.Tang, sh vmShell) error {
	keys, err := l.Client.RecoveryKeys(ctx, "e2e-storage")
	if err != nil || len(keys) != 1 {
		return fmt.Errorf("recovery keys: %v %v", keys, err)
	}
	cfg := fmt.Sprintf(`{"t":1,"pins":{"tang":[{"url":%q,"thp":%q}],"tpm2":{"pcr_bank":"sha256","pcr_ids":"7"}}}`, tang.URL, tang.Thumbprint)
	if out, err := sh.wait(ctx, keys[0].Passphrase, "clevis luks bind -d "+cryptDevice+" -k - sss '"+cfg+"' && sync"); err != nil {
		return fmt.Errorf("clevis luks bind t=1: %v: %s", err, out)
	}
	tang.Stop()
	defer tang.Start()
	m.vm.Stop()
	vcfg := m.vm.Config
	vcfg.Disks = vcfg.Disks[1:] // the first disk is gone; the firmware boots the other one
	vcfg.Disks[0].BootIndex = 1
	from := len(m.vm.Console.Text())
	vm, err := l.Net.StartVM(ctx, vcfg)
	if err != nil {
		return err
	}
	m.vm = vm
	_, at, err := vm.Console.Wait(ctx, unlockPrompt, from)
	if err != nil {
		return err
	}
	if _, _, err := vm.Console.Wait(ctx, unlocked, at); err != nil {
		return fmt.Errorf("with Tang down the t=1 token did not unlock through the TPM: %w", err)
	}
	if _, _, err := vm.Console.Wait(ctx, loginPrompt, at); err != nil {
		return err
	}
	out, err := sh.wait(ctx, "", "cat /proc/mdstat")
	if err != nil {
		return fmt.Errorf("reading /proc/mdstat: %v: %s", err, out)
	}
	if n := degradedMirrors(out); n != 2 {
		return fmt.Errorf("/proc/mdstat shows %d degraded mirrors, want 2:\n%s", n, out)
	}
	return nil
}

// degradedMirrors counts the two-disk arrays /proc/mdstat shows running on
// one disk.
func degradedMirrors(mdstat string) int {
	return strings.Count(mdstat, "[_U]") + strings.Count(mdstat, "[U_]")
}
