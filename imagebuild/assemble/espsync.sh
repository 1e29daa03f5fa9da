#!/bin/sh
# Installed by Ingot's image builder as a kernel and initramfs hook.
#
# GRUB boots /vmlinuz and /initrd.img from the root of the ESP, and a
# mirrored layout has an ESP on every disk (one FAT serial, the first one
# mounted on /boot/efi). After a kernel is installed or removed, or an
# initramfs rebuilt, this copies the newest kernel and its initramfs to the
# mounted ESP and to every other partition with its serial, so the next boot,
# from either disk, runs them.
set -eu
esp=/boot/efi
if ! mountpoint -q "$esp"; then
	echo "ingot-esp-sync: $esp is not mounted: the ESP still boots the previous kernel" >&2
	exit 0
fi
ver=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
if [ -z "$ver" ] || [ ! -f "/boot/initrd.img-$ver" ]; then
	exit 0 # the initramfs hook runs again once it exists
fi

# copy DIR: the pair, each file written beside and renamed over the old one.
copy() {
	cp "/boot/vmlinuz-$ver" "$1/vmlinuz.new" &&
		cp "/boot/initrd.img-$ver" "$1/initrd.img.new" &&
		sync -f "$1/vmlinuz.new" &&
		mv "$1/vmlinuz.new" "$1/vmlinuz" &&
		mv "$1/initrd.img.new" "$1/initrd.img" &&
		sync -f "$1/vmlinuz"
}

copy "$esp"
echo "ingot-esp-sync: $esp boots $ver"
src=$(readlink -f "$(findmnt -n -o SOURCE "$esp")")
uuid=$(blkid -c /dev/null -s UUID -o value "$src")
for dev in $(blkid -c /dev/null -t UUID="$uuid" -o device); do
	[ "$(readlink -f "$dev")" = "$src" ] && continue
	dir=$(mktemp -d)
	if mount -t vfat -o umask=0077 "$dev" "$dir"; then
		if copy "$dir"; then
			echo "ingot-esp-sync: the ESP copy on $dev boots $ver"
		else
			echo "ingot-esp-sync: updating the ESP copy on $dev failed: it still boots the previous kernel" >&2
		fi
		umount "$dir"
	else
		echo "ingot-esp-sync: cannot mount the ESP copy on $dev: it still boots the previous kernel" >&2
	fi
	rmdir "$dir"
done
