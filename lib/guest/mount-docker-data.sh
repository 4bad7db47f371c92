#!/usr/bin/env bash
# Puts Docker's data on its own disk: the disk with serial DOCKERDATA (a blank DataVolume of a
# long-lived runner, an emptyDisk of a one-job VM), formatted ext4 when blank, mounted at
# /var/lib/runner-docker-data, whose docker/ and containerd/ folders are bind-mounted at
# /var/lib/docker and /var/lib/containerd (Docker 29 keeps images in containerd's store). Images
# and build caches then never fill the root disk.
#
# systemd runs it as root (runner-docker-data.service) before containerd and Docker start, at every
# boot: their units require it (drop-ins), so it also runs before their first start when the
# packages are installed at first boot. Without such a disk it does nothing: Docker uses the root disk.
# A disk that already holds another filesystem is not formatted: the unit fails, and Docker with it.
set -euo pipefail

readonly SERIAL=DOCKERDATA
# Where udev links disks by serial, and the root of the folders below; tests point them elsewhere.
readonly DISK_BY_ID_DIR="${RUNNER_DISK_BY_ID_DIR:-/dev/disk/by-id}"
readonly ROOT="${RUNNER_SYSTEM_ROOT:-}"
readonly DATA_DIR="$ROOT/var/lib/runner-docker-data"
readonly LABEL=dockerdata

log() { printf 'runner-docker-data: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The disk is attached at boot; udev may not have linked it yet.
find_disk() {
  local device="$DISK_BY_ID_DIR/virtio-$SERIAL"
  if [[ ! -e "$device" ]]; then udevadm settle --timeout=10 || true; fi
  if [[ -e "$device" ]]; then printf '%s' "$device"; fi
}

format_if_blank() {
  local device=$1 type
  type=$(blkid -o value -s TYPE -- "$device" || true)
  if [[ -z "$type" ]]; then
    command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 (package e2fsprogs) is not installed: cannot format the blank disk $device"
    log "formatting the blank disk $device (ext4)"
    mkfs.ext4 -q -L "$LABEL" -- "$device"
  elif [[ "$type" != ext4 ]]; then
    die "$device holds a $type filesystem, not ext4: not formatting it, not mounting it"
  fi
}

bind() {
  local name=$1 target="$ROOT/var/lib/$1"
  mkdir -p -- "$DATA_DIR/$name" "$target"
  if ! mountpoint -q -- "$target"; then mount --bind -- "$DATA_DIR/$name" "$target"; fi
}

main() {
  local device
  device=$(find_disk)
  if [[ -z "$device" ]]; then
    log "no disk with serial $SERIAL: Docker keeps its data on the root disk"
    return 0
  fi
  if ! mountpoint -q -- "$DATA_DIR"; then
    format_if_blank "$device"
    mkdir -p -- "$DATA_DIR"
    mount -- "$device" "$DATA_DIR"
  fi
  bind docker
  bind containerd
  log "Docker's data is on $device"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
