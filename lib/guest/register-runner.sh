#!/usr/bin/env bash
# Registers this VM as a GitHub Actions runner and starts the runner service.
#
# systemd runs it as root at every boot (register-actions-runner.service, enabled by cloud-init
# after packages are installed) and retries it when it fails. Settings come from an env file that
# cloud-init writes; the registration token comes from a KubeVirt `secret` disk found by its serial.
# The token is handed to config.sh in the environment (ACTIONS_RUNNER_INPUT_TOKEN, which the runner
# reads and masks), never in argv, a file or a log. Once registered, a run only starts the runner.
set -euo pipefail

readonly SETTINGS_FILE="${RUNNER_SETTINGS_FILE:-/etc/actions-runner/runner.env}"
# Where udev links disks by serial; tests point it elsewhere.
readonly DISK_BY_ID_DIR="${RUNNER_DISK_BY_ID_DIR:-/dev/disk/by-id}"

REGISTRATION_TOKEN=""
WORK_DIR=""
CONFIG_ARGS=()

log() { printf 'register-actions-runner: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

cleanup() {
  if [[ -n "$WORK_DIR" ]]; then
    if mountpoint -q "$WORK_DIR/token" 2>/dev/null; then umount "$WORK_DIR/token" || true; fi
    rm -rf "$WORK_DIR"
  fi
}

load_settings() {
  local file=$1 name
  [[ -r "$file" ]] || die "settings file $file is missing"
  # shellcheck source=/dev/null
  source "$file"
  for name in RUNNER_URL RUNNER_USER RUNNER_DIR RUNNER_WORK_DIR RUNNER_DOWNLOAD_URL RUNNER_SHA256 \
    TOKEN_DISK_SERIAL TOKEN_FILE_NAME; do
    [[ -n "${!name:-}" ]] || die "$name is not set in $file"
  done
}

is_configured() {
  [[ -f "$RUNNER_DIR/.runner" ]]
}

# A runner that advertises Docker but has none fails every job: check before registering.
check_required_commands() {
  local command
  for command in ${RUNNER_REQUIRED_COMMANDS:-}; do
    command -v "$command" >/dev/null || die "$command is not installed (did the package installation fail? see /var/log/cloud-init-output.log)"
  done
}

# curl with exponential backoff: mirrors and GitHub both have bad minutes.
download_runner() {
  local target=$1
  local attempts=${RUNNER_DOWNLOAD_ATTEMPTS:-5} delay=${RUNNER_DOWNLOAD_RETRY_DELAY:-5} attempt=1
  log "downloading $RUNNER_DOWNLOAD_URL"
  until curl --fail --silent --show-error --location --output "$target" "$RUNNER_DOWNLOAD_URL"; do
    if ((attempt >= attempts)); then
      die "download of $RUNNER_DOWNLOAD_URL failed $attempts times; check the VM's network or the runner's downloadBaseUrl"
    fi
    log "download failed (attempt $attempt of $attempts), retrying in ${delay}s"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
  done
}

verify_checksum() {
  local file=$1 actual
  actual=$(sha256sum "$file")
  actual=${actual%% *}
  if [[ "$actual" != "$RUNNER_SHA256" ]]; then
    die "checksum mismatch for $RUNNER_DOWNLOAD_URL: expected sha256 $RUNNER_SHA256, got $actual; not installing it"
  fi
  log "sha256 verified: $actual"
}

install_runner() {
  local archive="$WORK_DIR/runner.tar.gz"
  download_runner "$archive"
  verify_checksum "$archive"
  mkdir -p "$RUNNER_DIR"
  tar -xzf "$archive" -C "$RUNNER_DIR"
  chown -R "$RUNNER_USER:" "$RUNNER_DIR"
  log "installing the runner's system dependencies"
  "$RUNNER_DIR/bin/installdependencies.sh"
}

# The token Secret arrives as a small ISO disk; udev may link it a moment after boot.
read_token() {
  local device="$DISK_BY_ID_DIR/virtio-$TOKEN_DISK_SERIAL" mount_dir="$WORK_DIR/token"
  local waited=0 timeout=${TOKEN_DISK_TIMEOUT:-60}
  until [[ -e "$device" ]]; do
    if ((waited >= timeout)); then
      die "token disk $device not found after ${timeout}s: is the token Secret attached with serial $TOKEN_DISK_SERIAL?"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  mkdir -p "$mount_dir"
  mount -o ro "$device" "$mount_dir" || die "cannot mount the token disk $device"
  if [[ -r "$mount_dir/$TOKEN_FILE_NAME" ]]; then
    REGISTRATION_TOKEN=$(<"$mount_dir/$TOKEN_FILE_NAME")
  fi
  umount "$mount_dir"
  REGISTRATION_TOKEN=${REGISTRATION_TOKEN//[$'\r\n\t ']/}
  [[ -n "$REGISTRATION_TOKEN" ]] || die "the token disk has no non-empty key '$TOKEN_FILE_NAME'"
}

# Fills CONFIG_ARGS with config.sh's arguments for runner name $1 (everything but the token).
build_config_args() {
  CONFIG_ARGS=(--unattended --url "$RUNNER_URL" --name "$1" --work "$RUNNER_WORK_DIR" --replace)
  if [[ -n "${RUNNER_LABELS:-}" ]]; then CONFIG_ARGS+=(--labels "$RUNNER_LABELS"); fi
  if [[ -n "${RUNNER_GROUP:-}" ]]; then CONFIG_ARGS+=(--runnergroup "$RUNNER_GROUP"); fi
  if [[ "${RUNNER_NO_DEFAULT_LABELS:-false}" == true ]]; then CONFIG_ARGS+=(--no-default-labels); fi
  if [[ "${RUNNER_EPHEMERAL:-false}" == true ]]; then CONFIG_ARGS+=(--ephemeral); fi
  if [[ "${RUNNER_DISABLE_UPDATE:-false}" == true ]]; then CONFIG_ARGS+=(--disableupdate); fi
}

configure_runner() {
  local name
  name=$(hostname)
  build_config_args "$name"
  log "registering runner $name with $RUNNER_URL"
  (
    cd "$RUNNER_DIR"
    ACTIONS_RUNNER_INPUT_TOKEN="$REGISTRATION_TOKEN" runuser -u "$RUNNER_USER" -- ./config.sh "${CONFIG_ARGS[@]}"
  )
  REGISTRATION_TOKEN=""
}

# First time: svc.sh writes and starts the runner's systemd unit. Later boots start that unit with
# systemctl, so root never runs scripts from the runner's directory once jobs have been able to write there.
start_service() {
  local unit
  if [[ -f "$RUNNER_DIR/.service" ]]; then
    unit=$(<"$RUNNER_DIR/.service")
    [[ "$unit" =~ ^actions\.runner\.[A-Za-z0-9._@-]+\.service$ ]] || die "unexpected runner unit name in $RUNNER_DIR/.service"
    systemctl start "$unit"
    return
  fi
  cd "$RUNNER_DIR"
  ./svc.sh install "$RUNNER_USER"
  ./svc.sh start
}

main() {
  load_settings "$SETTINGS_FILE"
  if is_configured; then
    log "runner already configured in $RUNNER_DIR; not registering again"
    start_service
    return
  fi
  check_required_commands
  WORK_DIR=$(mktemp -d)
  trap cleanup EXIT
  # The token first: without it (a VM started after its Secret was deleted) there is no point in
  # downloading the runner again at every retry.
  read_token
  install_runner
  configure_runner
  start_service
  log "runner registered and started"
}

# Sourced (by tests), it only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
