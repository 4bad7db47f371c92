#!/usr/bin/env bash
# Runs this VM's one job: the just-in-time (JIT) runner of a per-job VM.
#
# systemd runs it as root at boot (actions-runner-jit.service, enabled in the baked image); the unit
# powers the VM off when this script ends, whatever the result, and the launcher in the runner pod
# sees the VirtualMachineInstance succeed. The JIT config (ARC's Secret, key jitToken) arrives as a
# KubeVirt `secret` disk found by its serial; it is handed to run.sh in the environment
# (ACTIONS_RUNNER_INPUT_JITCONFIG), never in argv, a file or a log. No config.sh: a JIT runner is
# registered for exactly one job by the config itself.
#
# The runner's exit status leaves the VM on its serial console, the one thing KubeVirt keeps of a
# guest after it powered off (logSerialConsole: the `guest-console-log` container of its
# virt-launcher pod): the launcher reads the line `kubevirt-runners: runner exited <status>` there.
# With ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1 in run.sh's environment (run.sh and
# run-helper.sh test it in theirs; the listener only in its own, so the runner's .env is not enough)
# a runner whose version GitHub deprecated exits 7 instead of 0.
set -euo pipefail

readonly SETTINGS_FILE="${RUNNER_SETTINGS_FILE:-/etc/actions-runner/runner.env}"
# Where udev links disks by serial; tests point it elsewhere.
readonly DISK_BY_ID_DIR="${RUNNER_DISK_BY_ID_DIR:-/dev/disk/by-id}"
# The VM's first serial port, which KubeVirt logs (ttyS0 on x86-64, ttyAMA0 on arm64); tests point it elsewhere.
readonly SERIAL_CONSOLE="${RUNNER_SERIAL_CONSOLE:-}"
# RUNNER_EXIT_LINE in lib/cluster/contract.ts: what the launcher looks for.
readonly EXIT_LINE='kubevirt-runners: runner exited '

JIT_CONFIG=""
MOUNT_DIR=""

log() { printf 'actions-runner-jit: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

cleanup() {
  if [[ -n "$MOUNT_DIR" ]]; then
    if mountpoint -q "$MOUNT_DIR" 2>/dev/null; then umount "$MOUNT_DIR" || true; fi
    rm -rf "$MOUNT_DIR"
  fi
}

# Root relies on a file or folder only if no one else can change it.
require_root_only() {
  local path=$1 mode
  mode=$(stat -c %a -- "$path")
  if [[ -L "$path" || ! -O "$path" ]] || ((8#$mode & 8#022)); then
    die "$path must belong to root and be writable by root only; not reading settings from it"
  fi
}

load_settings() {
  local file=$1 name
  [[ -r "$file" ]] || die "settings file $file is missing (was this image baked by RunnerImage?)"
  # Sourcing runs the file: it must be root's, and so must the folder it could be swapped in.
  require_root_only "${file%/*}"
  require_root_only "$file"
  # shellcheck source=/dev/null
  source "$file"
  for name in RUNNER_USER RUNNER_DIR TOKEN_DISK_SERIAL TOKEN_FILE_NAME; do
    [[ -n "${!name:-}" ]] || die "$name is not set in $file"
  done
  [[ -x "$RUNNER_DIR/run.sh" ]] || die "$RUNNER_DIR/run.sh is missing: the image was not baked completely"
}

# The Secret arrives as a small ISO disk; udev may link it a moment after boot.
read_jit_config() {
  local device="$DISK_BY_ID_DIR/virtio-$TOKEN_DISK_SERIAL"
  local waited=0 timeout=${TOKEN_DISK_TIMEOUT:-60}
  until [[ -e "$device" ]]; do
    if ((waited >= timeout)); then
      die "JIT config disk $device not found after ${timeout}s: is the runner's Secret attached with serial $TOKEN_DISK_SERIAL?"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  MOUNT_DIR=$(mktemp -d)
  mount -o ro "$device" "$MOUNT_DIR" || die "cannot mount the JIT config disk $device"
  if [[ -r "$MOUNT_DIR/$TOKEN_FILE_NAME" ]]; then
    JIT_CONFIG=$(<"$MOUNT_DIR/$TOKEN_FILE_NAME")
  fi
  umount "$MOUNT_DIR"
  JIT_CONFIG=${JIT_CONFIG//[$'\r\n\t ']/}
  [[ -n "$JIT_CONFIG" ]] || die "the JIT config disk has no non-empty key '$TOKEN_FILE_NAME'"
}

serial_console() {
  if [[ -n "$SERIAL_CONSOLE" ]]; then
    printf '%s' "$SERIAL_CONSOLE"
  elif [[ "$(uname -m)" == aarch64 ]]; then
    printf '/dev/ttyAMA0'
  else
    printf '/dev/ttyS0'
  fi
}

# On a line of its own: the kernel or systemd may be writing on the same port.
report_exit() {
  local status=$1 device
  device=$(serial_console)
  if ! printf '\n%s%s\n' "$EXIT_LINE" "$status" 2>/dev/null >"$device"; then
    log "cannot write the runner's exit status on the serial console $device"
  fi
}

run_job() {
  local status=0
  log "starting the just-in-time runner as $RUNNER_USER"
  cd "$RUNNER_DIR"
  ACTIONS_RUNNER_INPUT_JITCONFIG="$JIT_CONFIG" ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1 \
    runuser -u "$RUNNER_USER" -- ./run.sh || status=$?
  JIT_CONFIG=""
  report_exit "$status"
  log "the runner exited with status $status; powering off"
  return "$status"
}

main() {
  load_settings "$SETTINGS_FILE"
  trap cleanup EXIT
  read_jit_config
  run_job
}

# Sourced (by tests), it only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
