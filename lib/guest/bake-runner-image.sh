#!/usr/bin/env bash
# Bakes a runner image: the bake VM of a RunnerImage runs it once, as root, from cloud-init after
# the packages are installed. It installs the runner package (downloaded and checksum-verified by
# the registration script's own functions) and enables the per-job and registration units; then,
# once cloud-init has finished, it seals the image: forgets the machine's identity (cloud-init
# state, machine-id, SSH host keys, logs), marks the image baked and powers off. The powered-off
# bake VM is the image's readiness signal, so a failure must NOT power off: the VM stays up,
# showing the error on its console, and nothing ever boots the half-baked disk.
#
# usage: bake-runner-image          from cloud-init (runcmd): install, then have systemd seal
#        bake-runner-image seal     from systemd, after cloud-final.service: seal and power off
set -euo pipefail

readonly REGISTER_SCRIPT="${RUNNER_REGISTER_SCRIPT:-/usr/local/sbin/register-actions-runner}"
# What the per-job unit's ConditionPathExists= looks for (lib/guest/actions-runner-jit.service).
readonly BAKED_MARKER="${RUNNER_BAKED_MARKER:-/etc/actions-runner/image-baked}"
# Where the machine's identity files are (/etc/machine-id, SSH host keys, the journal); tests point it elsewhere.
readonly SYSTEM_ROOT="${RUNNER_SYSTEM_ROOT:-}"
readonly JIT_UNIT=actions-runner-jit.service
# A warm pool's VM registers with it; its drop-in skips it everywhere else (per-job VMs, a bake).
readonly REGISTER_UNIT=register-actions-runner.service
readonly SEAL_UNIT=bake-runner-image-seal
SELF=$(readlink -f -- "${BASH_SOURCE[0]}")
readonly SELF

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
  export_proxy
  prepare_install_parent
  if [[ ! -e "$RUNNER_DIR" ]]; then install_runner; fi
  rm -f -- "$(package_path)"
  # Per-job VMs run run.sh, which reads the proxy and CA settings from the runner's .env.
  write_runner_env
  # Enabled in the image: each starts with the first transaction of a VM's boot, as soon as the
  # network is up, where its condition lets it (the per-job VM's, or the warm pool VM's).
  systemctl enable "$JIT_UNIT" "$REGISTER_UNIT"
}

# This script runs inside cloud-init's final stage, and cloud-init writes its state about this
# machine until that stage ends: forgotten now, it would be written again into the image. systemd
# runs the seal once cloud-final.service has finished; its output goes to the console too.
schedule_seal() {
  systemd-run --unit="$SEAL_UNIT" --no-block --property=After=cloud-final.service \
    --property=StandardOutput=journal+console --property=StandardError=journal+console \
    -- "$SELF" seal
  log "sealing the image once cloud-init has finished"
}

bake() {
  load_bake_settings "$SETTINGS_FILE"
  if [[ -e "$BAKED_MARKER" ]]; then
    # Booted again with the bake's cloud-config: this boot made it a machine again, so seal it again.
    log "this image is baked already ($(<"$BAKED_MARKER")); not installing again"
  else
    install_image
    log "runner installed"
  fi
  schedule_seal
}

forget_identity() {
  # Every VM booted from the image must be a new machine to cloud-init, systemd and SSH.
  cloud-init clean --logs --seed
  # Empty, not removed: systemd then makes a new one at the next boot, and treats it as the first.
  : >"$SYSTEM_ROOT/etc/machine-id"
  rm -f -- "$SYSTEM_ROOT/var/lib/dbus/machine-id" "$SYSTEM_ROOT"/etc/ssh/ssh_host_*
  if command -v apt-get >/dev/null; then apt-get clean; fi
  # The journal so far is the bake VM's, in a folder named after its machine-id: journald goes on
  # in /run until the power-off, and the folder goes.
  journalctl --relinquish-var >/dev/null 2>&1 || true
  rm -rf -- "$SYSTEM_ROOT"/var/log/journal/*/
}

seal() {
  load_bake_settings "$SETTINGS_FILE"
  # Only an image with a runner is marked baked; anything else stays up, unsealed.
  [[ -x "$RUNNER_DIR/run.sh" ]] || die "$RUNNER_DIR/run.sh is missing: not sealing an image without the runner"
  forget_identity
  printf 'runner %s\n' "$RUNNER_DOWNLOAD_URL" >"$BAKED_MARKER"
  sync
  log "image baked; powering off"
  systemctl poweroff
}

main() {
  case "${1:-}" in
    '') bake ;;
    seal) seal ;;
    *) die "unknown command '$1' (usage: bake-runner-image [seal])" ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
