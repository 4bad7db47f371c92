#!/usr/bin/env bash
# Reboots a long-lived runner VM for the updates that need it, only while its runner is idle.
#
# unattended-upgrades installs the distribution's security updates with Automatic-Reboot off, and
# leaves /var/run/reboot-required when one needs a reboot (a kernel, libc). A systemd timer
# (reboot-when-idle.timer) runs this script every few minutes, as root. A job runs in the runner's
# Runner.Worker process: while one exists, nothing happens. Otherwise the runner's service is
# stopped, so that no job starts, and the check is made again: a job that was handed out in the
# moment between the two checks keeps its runner (the service is started again) and the reboot
# waits for the next run. After the reboot the registration unit starts the runner again.
set -euo pipefail

readonly REBOOT_REQUIRED_FILE="${RUNNER_REBOOT_REQUIRED_FILE:-/var/run/reboot-required}"
# actions/runner names its unit actions.runner.<scope>.<name>.service (register-runner.sh writes it).
readonly RUNNER_UNITS='actions.runner.*.service'

log() { printf 'reboot-when-idle: %s\n' "$*" >&2; }

job_running() {
  pgrep -x Runner.Worker >/dev/null
}

active_runner_units() {
  systemctl list-units --type=service --state=active --plain --no-legend "$RUNNER_UNITS" | awk '{ print $1 }'
}

main() {
  local units=()
  [[ -e "$REBOOT_REQUIRED_FILE" ]] || return 0
  if job_running; then
    log "a reboot is required for updates, but a job is running: trying again later"
    return 0
  fi
  mapfile -t units < <(active_runner_units)
  if ((${#units[@]} > 0)); then systemctl stop "${units[@]}"; fi
  if job_running; then
    log "a job started while the runner was stopping: starting the runner again, rebooting later"
    if ((${#units[@]} > 0)); then systemctl start "${units[@]}"; fi
    return 0
  fi
  log "the runner is idle: rebooting for updates (${REBOOT_REQUIRED_FILE})"
  systemctl reboot
}

# Sourced (by tests), it only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
