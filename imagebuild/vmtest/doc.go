// Package vmtest holds the VM tier of imagebuild's tests: the Debian image
// the debootstrap backend builds is written to a virtual disk and must boot
// under SeaBIOS and under OVMF until systemd reaches multi-user.target on the
// serial console. The VMs run through internal/lab (qemu under TCG).
package vmtest
