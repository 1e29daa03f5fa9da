// Package vmtest holds the VM-tier tests of netboot: real firmware (SeaBIOS
// and OVMF, with the iPXE ROM or OVMF's own PXE) booting over Ingot's DHCP,
// TFTP and HTTP into the installer in discovery mode, on a lab network
// (internal/lab). The tests need root, qemu and the installer built by
// `make installer`.
package vmtest
