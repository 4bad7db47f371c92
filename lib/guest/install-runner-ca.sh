#!/usr/bin/env bash
# Installs the extra CA certificates of `caCertificatesFrom` into the trust store: a Secret or
# ConfigMap key that KubeVirt attaches as a disk with serial RUNNERCA.
#
# cloud-init runs it as root from bootcmd (its first module, before apt ever reaches a mirror), at
# every boot, so a renewed CA reaches a long-lived runner with its next boot. The script's text is
# in the cloud-config itself: bootcmd runs before any file is written. Without the disk it does
# nothing. The file must hold PEM certificates only; each goes into its own file.
#
# usage: install-runner-ca KEY     (the Secret or ConfigMap key that holds the certificates)
set -euo pipefail

readonly SERIAL=RUNNERCA
# Where udev links disks by serial, and the trust store's folder; tests point them elsewhere.
readonly DISK_BY_ID_DIR="${RUNNER_DISK_BY_ID_DIR:-/dev/disk/by-id}"
readonly CA_DIR="${RUNNER_CA_DIR:-/usr/local/share/ca-certificates}"
readonly PREFIX=runner-ca-from-disk
MOUNT_DIR=""

log() { printf 'install-runner-ca: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

cleanup() {
  if [[ -n "$MOUNT_DIR" ]]; then
    if mountpoint -q "$MOUNT_DIR" 2>/dev/null; then umount "$MOUNT_DIR" || true; fi
    rm -rf -- "$MOUNT_DIR"
  fi
}

# Splits PEM text into $CA_DIR/$PREFIX-N.crt, one certificate each; refuses anything else.
write_certificates() {
  local text=$1 line block="" inside=false count=0
  rm -f -- "$CA_DIR/$PREFIX"-*.crt
  while IFS= read -r line; do
    line=${line%$'\r'}
    case "$inside:$line" in
      false:'-----BEGIN CERTIFICATE-----') inside=true block="$line"$'\n' ;;
      false:) ;;
      false:*) die "the CA disk's key holds something other than PEM certificates: '${line:0:40}'" ;;
      true:'-----END CERTIFICATE-----')
        count=$((count + 1))
        printf '%s%s\n' "$block" "$line" >"$CA_DIR/$PREFIX-$count.crt"
        chmod 0644 -- "$CA_DIR/$PREFIX-$count.crt"
        inside=false ;;
      true:*)
        [[ "$line" =~ ^[A-Za-z0-9+/=]+$ ]] || die "a certificate on the CA disk holds a line that is not base64"
        block+="$line"$'\n' ;;
    esac
  done <<<"$text"
  [[ $inside == false ]] || die "a certificate on the CA disk is cut short"
  ((count > 0)) || die "the CA disk's key holds no certificate"
  printf '%s' "$count"
}

main() {
  local key=${1:?usage: install-runner-ca KEY} device text count
  device="$DISK_BY_ID_DIR/virtio-$SERIAL"
  if [[ ! -e "$device" ]]; then udevadm settle --timeout=10 || true; fi
  if [[ ! -e "$device" ]]; then
    log "no disk with serial $SERIAL: no extra CA certificates"
    return 0
  fi
  trap cleanup EXIT
  MOUNT_DIR=$(mktemp -d)
  mount -o ro -- "$device" "$MOUNT_DIR" || die "cannot mount the CA disk $device"
  [[ -f "$MOUNT_DIR/$key" ]] || die "the CA disk has no key '$key'"
  text=$(<"$MOUNT_DIR/$key")
  umount "$MOUNT_DIR"
  mkdir -p -- "$CA_DIR"
  count=$(write_certificates "$text")
  update-ca-certificates >/dev/null
  log "trusted $count certificate(s) from the CA disk"
}

if [[ "${BASH_SOURCE[0]:-}" == "$0" || -z "${BASH_SOURCE[0]:-}" ]]; then
  main "$@"
fi
