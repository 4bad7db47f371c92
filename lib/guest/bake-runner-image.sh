#!/usr/bin/env bash
# Bakes a runner image: the bake VM of a RunnerImage runs it once, as root, from cloud-init after
# the packages are installed. It installs the runner package (downloaded and checksum-verified by
# the registration script's own functions), enables the per-job unit, forgets the machine's identity
# (cloud-init state, machine-id, SSH host keys, logs) and powers off. The powered-off bake VM is the
# image's readiness signal, so a failure must NOT power off: the VM stays up, showing the error on
# its console, and nothing ever boots the half-baked disk.
set -euo pipefail

readonly REGISTER_SCRIPT="${RUNNER_REGISTER_SCRIPT:-/usr/local/sbin/register-actions-runner}"
readonly BAKED_MARKER="${RUNNER_BAKED_MARKER:-/etc/actions-runner/image-baked}"
readonly JIT_UNIT=actions-runner-jit.service

# The registration script defines download, verification and installation; sourced, it runs nothing.
# shellcheck source=lib/guest/register-runner.sh
source "$REGISTER_SCRIPT"

bake_log() { printf 'bake-runner-image: %s\n' "$*" >&2; }

# An image registers nothing, so it needs only the package settings, not the registration's.
load_bake_settings() {
  local file=$1 name
  [[ -r "$file" ]] || die "settings file $file is missing"
  require_root_only "${file%/*}" "not reading settings from it"
  require_root_only "$file" "not reading settings from it"
  # shellcheck source=/dev/null
  source "$file"
  for name in RUNNER_USER RUNNER_DIR RUNNER_DOWNLOAD_URL RUNNER_SHA256; do
    [[ -n "${!name:-}" ]] || die "$name is not set in $file"
  done
}

forget_identity() {
  # Every VM booted from the image must be a new machine to cloud-init, systemd and SSH.
  cloud-init clean --logs --seed
  : >/etc/machine-id
  rm -f /var/lib/dbus/machine-id /etc/ssh/ssh_host_*
  if command -v apt-get >/dev/null; then apt-get clean; fi
  journalctl --rotate >/dev/null 2>&1 || true
  journalctl --vacuum-time=1s >/dev/null 2>&1 || true
}

bake() {
  load_bake_settings "$SETTINGS_FILE"
  if [[ -e "$BAKED_MARKER" ]]; then
    bake_log "this image is baked already ($(<"$BAKED_MARKER")); not baking it again"
    return
  fi
  check_required_commands
  WORK_DIR=$(mktemp -d)
  trap cleanup EXIT
  install_runner
  systemctl enable "$JIT_UNIT"
  forget_identity
  printf 'runner %s\n' "$RUNNER_DOWNLOAD_URL" >"$BAKED_MARKER"
  sync
  bake_log "image baked; powering off"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  bake "$@"
  systemctl poweroff
fi
