#!/usr/bin/env bash
# Bakes a runner image: the bake VM of a RunnerImage runs it once, as root, from cloud-init after
# the packages are installed. It installs the runner package (downloaded and checksum-verified by
# the registration script's own functions), enables the per-job unit, forgets the machine's identity
# (cloud-init state, machine-id, SSH host keys, logs) and powers off. The powered-off bake VM is the
# image's readiness signal, so a failure must NOT power off: the VM stays up, showing the error on
# its console, and nothing ever boots the half-baked disk.
set -euo pipefail

readonly REGISTER_SCRIPT="${RUNNER_REGISTER_SCRIPT:-/usr/local/sbin/register-actions-runner}"
# What the per-job unit's ConditionPathExists= looks for (lib/guest/actions-runner-jit.service).
readonly BAKED_MARKER="${RUNNER_BAKED_MARKER:-/etc/actions-runner/image-baked}"
# Where the machine's identity files are (/etc/machine-id, SSH host keys); tests point it elsewhere.
readonly SYSTEM_ROOT="${RUNNER_SYSTEM_ROOT:-}"
readonly JIT_UNIT=actions-runner-jit.service

# The registration script defines download, verification and installation; sourced, it runs nothing.
# shellcheck source-path=SCRIPTDIR source=register-runner.sh
source "$REGISTER_SCRIPT"

# The sourced functions log (and die) through log: under this script's name.
log() { printf 'bake-runner-image: %s\n' "$*" >&2; }

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
  check_install_dir
}

install_image() {
  check_required_commands
  # A bake cut short (a reboot) runs again from cloud-init: what an install left half-done is
  # removed, an installed runner is kept (as the registration script keeps it), and the package
  # it was installed from is no use any more.
  prepare_install_parent
  if [[ ! -e "$RUNNER_DIR" ]]; then install_runner; fi
  rm -f -- "$(package_path)"
  systemctl enable "$JIT_UNIT"
}

forget_identity() {
  # Every VM booted from the image must be a new machine to cloud-init, systemd and SSH.
  cloud-init clean --logs --seed
  # Empty, not removed: systemd then makes a new one at the next boot, and treats it as the first.
  : >"$SYSTEM_ROOT/etc/machine-id"
  rm -f -- "$SYSTEM_ROOT/var/lib/dbus/machine-id" "$SYSTEM_ROOT"/etc/ssh/ssh_host_*
  if command -v apt-get >/dev/null; then apt-get clean; fi
  journalctl --rotate >/dev/null 2>&1 || true
  journalctl --vacuum-time=1s >/dev/null 2>&1 || true
}

bake() {
  load_bake_settings "$SETTINGS_FILE"
  if [[ -e "$BAKED_MARKER" ]]; then
    log "this image is baked already ($(<"$BAKED_MARKER")); not baking it again"
    return
  fi
  install_image
  forget_identity
  printf 'runner %s\n' "$RUNNER_DOWNLOAD_URL" >"$BAKED_MARKER"
  sync
  log "image baked; powering off"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  bake "$@"
  systemctl poweroff
fi
