#!/usr/bin/env bash
# Says on the serial console how a warm pool VM's runner ended; after a deprecated runner's exit 7,
# holds the VM for a while; then ends, and its unit (report-runner-exit.service) powers the VM off.
#
# systemd runs it as root when the runner's unit stops, successfully or not: the drop-in that the
# registration script writes on a warm pool's runner unit (RUNNER_POWER_OFF_AFTER_JOB) names this
# unit in OnSuccess= and OnFailure=, and a drop-in on this unit names the runner's unit (RUNNER_UNIT).
# The runner's unit runs actions/runner's service (runsvc.sh, bin/RunnerService.js), which itself
# exits 0 whatever its listener did: the listener's status is only in the line RunnerService.js logs,
# `Runner listener exited with error code <N>`, in the unit's journal of this boot (a warm pool VM
# runs its runner once per boot). The same drop-in gives the runner
# ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1 (a listener whose version GitHub deprecated
# exits 7) and GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES=1 (RunnerService.js stops after such an
# exit instead of starting the listener again every 5 s, forever).
#
# The line is the one per-job VMs write (lib/guest/run-jit-runner.sh; RUNNER_EXIT_LINE in
# lib/cluster/contract.ts). A per-job VM's launcher reads it after the power-off; a warm pool's VM is
# started again by KubeVirt seconds after its power-off (runStrategy Always), and its console log goes
# with the old virt-launcher pod. So after a 7 the VM holds, running no runner (a deprecated one gets
# no job anyway) and writing the line again every few minutes, until the pool's token refresher has
# read it from the console of a running VM and recorded a RunnerOutdated Event; then it powers off and
# the pool starts it again, on the refreshed image if the image refresher has pointed the pool at one.
# Any other status powers off at once.
#
# A job could write a line like RunnerService.js's into the unit's journal: the last line counts, and
# RunnerService.js writes its own after the job. The most a forged 7 does is hold the job's own VM.
set -euo pipefail

# The VM's first serial port, which KubeVirt logs (ttyS0 on x86-64, ttyAMA0 on arm64); tests point it elsewhere.
readonly SERIAL_CONSOLE="${RUNNER_SERIAL_CONSOLE:-}"
# RUNNER_EXIT_LINE in lib/cluster/contract.ts: what the token refresher looks for.
readonly EXIT_LINE='kubevirt-runners: runner exited '
# What RunnerService.js logs each time its listener exits (actions/runner src/Misc/layoutbin/RunnerService.js).
readonly LISTENER_EXIT='Runner listener exited with error code '
# actions/runner's exit status for a deprecated version (Constants.Runner.ReturnCode.RunnerVersionDeprecated).
readonly RUNNER_VERSION_DEPRECATED=7
# Longer than the token refresher's default schedule (every 30 minutes) and its CronJob's 5-minute
# starting deadline: a held VM is running when at least one run of the refresher reads its console.
readonly HOLD_SECONDS="${RUNNER_OUTDATED_HOLD_SECONDS:-2400}"
# The line again every 5 minutes: it stays in the tail of the console that the refresher reads.
readonly REPEAT_SECONDS="${RUNNER_OUTDATED_REPEAT_SECONDS:-300}"
# journald may store the runner's last lines a moment after its unit stopped.
readonly JOURNAL_READS=5

log() { printf 'report-runner-exit: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
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

# The status of the last line RunnerService.js logged about its listener in the unit's journal of
# this boot; nothing when there is none (the runner never started, or was killed).
last_listener_exit() {
  local unit=$1 line status=""
  while IFS= read -r line; do
    if [[ "$line" =~ ^"$LISTENER_EXIT"([0-9]{1,3})$ ]]; then status=${BASH_REMATCH[1]}; fi
  done < <(journalctl --boot --unit="$unit" --output=cat --no-pager --quiet 2>/dev/null || true)
  printf '%s' "$status"
}

listener_exit() {
  local unit=$1 attempt status
  for ((attempt = 1; ; attempt++)); do
    # Has journald store what it received so far.
    journalctl --sync 2>/dev/null || true
    status=$(last_listener_exit "$unit")
    if [[ -n "$status" ]] || ((attempt >= JOURNAL_READS)); then break; fi
    sleep 1
  done
  printf '%s' "$status"
}

hold() {
  local status=$1 held=0 step
  log "the runner exited $status: its version is deprecated and GitHub gives it no jobs. Holding this VM for ${HOLD_SECONDS}s" \
    "so that the pool's token refresher reads it here and records a RunnerOutdated Event; then powering off"
  while ((held < HOLD_SECONDS)); do
    step=$((HOLD_SECONDS - held < REPEAT_SECONDS ? HOLD_SECONDS - held : REPEAT_SECONDS))
    sleep "$step"
    held=$((held + step))
    report_exit "$status"
  done
}

main() {
  local unit=${RUNNER_UNIT:-} status
  [[ "$unit" =~ ^[A-Za-z0-9:_.@-]+\.service$ ]] || die "RUNNER_UNIT '$unit' is not the name of the runner's unit (its drop-in from register-actions-runner sets it)"
  status=$(listener_exit "$unit")
  if [[ -z "$status" ]]; then
    log "the journal of $unit has no line '$LISTENER_EXIT<status>': no runner exit to report; powering off"
    return 0
  fi
  report_exit "$status"
  if ((10#$status == RUNNER_VERSION_DEPRECATED)); then hold "$status"; fi
  log "the runner exited $status; powering off"
}

# Sourced (by tests), it only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
