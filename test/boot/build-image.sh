#!/usr/bin/env bash
# Builds the Debian 12 guest for the boot test (npm run test:boot) from Debian packages only:
# a root filesystem image labelled rootfs, plus the kernel and initrd to boot it with.
# The result depends only on this file (and Debian's archive); test/boot keys its cache on it.
#
# usage: build-image.sh OUTDIR [bare]    (as root; needs mmdebstrap, eatmydata, e2fsprogs)
# `bare`: without git, curl and the guest agent, for the boot test that installs them from its own
# apt repository at first boot. OUTDIR also gets the image's dpkg status (what that repository adds to).
set -euo pipefail

out=${1:?usage: build-image.sh OUTDIR [bare]}
variant=${2:-full}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# What a Debian cloud image has that the runner's cloud-config relies on: cloud-init with the
# NoCloud datasource, networking by DHCP, sudo, the tools the registration script uses, and (not
# in the bare variant) curl, git and the guest agent, which a runner installs from apt at first boot
# (the tests of the pre-baked path run with installPackages: false: the guest reaches nothing outside
# the test; docker.boot.ts installs them from its own repository).
packages=(
  linux-image-cloud-amd64 systemd-sysv udev kmod dbus
  cloud-init ifupdown isc-dhcp-client iproute2 netbase
  ca-certificates sudo openssh-server locales
)
[[ $variant == bare ]] || packages+=(curl git qemu-guest-agent)

root=$(mktemp -d)
cleanup() { rm -rf "$root"; }
trap cleanup EXIT

# The hooks are single-quoted on purpose: mmdebstrap runs them with the root directory as $1.
# The eatmydata hooks leave /usr/bin/eatmydata without its library; cloud-init runs apt through
# eatmydata wherever it finds it, and every dpkg in the guest would print an LD_PRELOAD error.
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --mode=root \
  --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --customize-hook='echo "LABEL=rootfs / ext4 defaults 0 1" > "$1/etc/fstab"' \
  --customize-hook='printf "auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n" > "$1/etc/network/interfaces"' \
  --customize-hook='sed -i "s/^# *C.UTF-8/C.UTF-8/" "$1/etc/locale.gen" && chroot "$1" locale-gen' \
  --customize-hook='printf "datasource_list: [NoCloud, None]\nlocale: C.UTF-8\n" > "$1/etc/cloud/cloud.cfg.d/90-boot-test.cfg"' \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
  --customize-hook='echo "boot-test" > "$1/etc/hostname"' \
  --customize-hook='[ -e "$1/usr/lib/x86_64-linux-gnu/libeatmydata.so" ] || rm -f "$1/usr/bin/eatmydata"' \
  "$suite" "$root" "$mirror"

mkdir -p "$out"
cp -L "$root/vmlinuz" "$out/vmlinuz"
cp -L "$root/initrd.img" "$out/initrd.img"
cp "$root/var/lib/dpkg/status" "$out/dpkg-status"
rm -f "$out/rootfs.raw"
truncate -s 2G "$out/rootfs.raw"
mkfs.ext4 -q -L rootfs -d "$root" "$out/rootfs.raw"
echo "built $out"
