#!/usr/bin/env bash
# Registers this VM as a GitHub Actions runner and starts the runner service.
#
# systemd runs it as root at every boot (register-actions-runner.service, enabled by cloud-init
# after packages are installed) and retries it when it fails. Settings come from an env file that
# cloud-init writes; the registration token comes from a KubeVirt `secret` disk found by its serial.
# The token is handed to config.sh in the environment (ACTIONS_RUNNER_INPUT_TOKEN, which the runner
# reads and masks), never in argv, a file or a log. Once registered, a run only rewrites the
# runner's unit and starts it: it reads no token and downloads nothing.
#
# The runner's folder belongs to the runner user, so every job can rewrite anything in it. Root
# never runs, sources or writes a file there: config.sh runs as the runner user; the runner's
# systemd unit is written from root's own copy of its template instead of by svc.sh; the package
# is extracted, and its installdependencies.sh run, in a folder only root can reach, before the
# folder becomes the runner's.
#
# Behind a proxy, root's own downloads use it (exported from the settings), and the runner gets it,
# with NODE_EXTRA_CA_CERTS, in its .env: a file in the runner's folder, so it is read and written as
# the runner user; only the variables the settings own are replaced, anything else a job or the
# runner's env.sh put there is kept.
#
# A reboot can cut any run short, and systemd retries a failed one: every run starts from what is
# on disk (a runner folder that exists is complete; a registration is complete when .runner,
# .credentials and .credentials_rsaparams exist) and finishes what is missing.
set -euo pipefail

readonly SETTINGS_FILE="${RUNNER_SETTINGS_FILE:-/etc/actions-runner/runner.env}"
# Where udev links disks by serial; tests point it elsewhere.
readonly DISK_BY_ID_DIR="${RUNNER_DISK_BY_ID_DIR:-/dev/disk/by-id}"
# actions/runner's unit template (lib/guest/actions.runner.service.template), written by cloud-init.
readonly UNIT_TEMPLATE="${RUNNER_UNIT_TEMPLATE:-/etc/actions-runner/actions.runner.service.template}"
readonly SYSTEMD_UNIT_DIR="${RUNNER_SYSTEMD_UNIT_DIR:-/etc/systemd/system}"
# Where the verified runner package is kept until the runner is installed (see fetch_package).
readonly CACHE_DIR="${RUNNER_CACHE_DIR:-/var/cache/actions-runner}"
# A warm pool's: reports how the runner ended, then powers the VM off (lib/guest/report-runner-exit.service).
readonly REPORT_UNIT=report-runner-exit.service

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

# Root relies on a file or folder only if no one else can change it.
require_root_only() {
  local path=$1 consequence=$2 mode
  mode=$(stat -c %a -- "$path")
  if [[ -L "$path" || ! -O "$path" ]] || ((8#$mode & 8#022)); then
    die "$path must belong to root and be writable by root only; $consequence"
  fi
}

load_settings() {
  local file=$1 name
  [[ -r "$file" ]] || die "settings file $file is missing"
  # Sourcing runs the file: it must be root's, and so must the folder it could be swapped in.
  require_root_only "${file%/*}" "not reading settings from it"
  require_root_only "$file" "not reading settings from it"
  # shellcheck source=/dev/null
  source "$file"
  for name in RUNNER_URL RUNNER_USER RUNNER_DIR RUNNER_WORK_DIR RUNNER_DOWNLOAD_URL RUNNER_SHA256 \
    TOKEN_DISK_SERIAL TOKEN_FILE_NAME; do
    [[ -n "${!name:-}" ]] || die "$name is not set in $file"
  done
}

# The proxy as NAME=value lines, each variable in lower and upper case (curl reads http_proxy only
# in lower case, Go programs read the upper case); nothing without a proxy.
proxy_lines() {
  local name value
  [[ -n "${RUNNER_HTTP_PROXY:-}${RUNNER_HTTPS_PROXY:-}" ]] || return 0
  for name in http_proxy https_proxy no_proxy; do
    case $name in
      http_proxy) value=${RUNNER_HTTP_PROXY:-} ;;
      https_proxy) value=${RUNNER_HTTPS_PROXY:-} ;;
      *) value=${RUNNER_NO_PROXY:-} ;;
    esac
    [[ "$value" != *[$'\n\r']* ]] || die "the $name setting holds a line break; not using it"
    if [[ -n "$value" ]]; then printf '%s=%s\n%s=%s\n' "$name" "$value" "${name^^}" "$value"; fi
  done
}

# Root's own downloads (curl, apt in installdependencies.sh) go through the proxy too.
export_proxy() {
  local lines line
  lines=$(proxy_lines)
  while IFS= read -r line; do
    if [[ -n "$line" ]]; then export "${line?}"; fi
  done <<<"$lines"
}

# What the runner (and so every job) starts with, from its .env.
runner_env_lines() {
  proxy_lines
  if [[ -n "${RUNNER_NODE_EXTRA_CA_CERTS:-}" ]]; then printf 'NODE_EXTRA_CA_CERTS=%s\n' "$RUNNER_NODE_EXTRA_CA_CERTS"; fi
}

# Rewrites the variables the settings own in the runner's .env, as the runner user, keeping the
# others; a variable the settings no longer set is removed. Nothing to do, nothing written.
write_runner_env() {
  local file="$RUNNER_DIR/.env" wanted current kept line
  wanted=$(runner_env_lines)
  current=""
  if [[ -e "$file" || -L "$file" ]]; then current=$(as_runner_user cat -- "$file"); fi
  [[ -n "$wanted" || -n "$current" ]] || return 0
  kept=""
  while IFS= read -r line; do
    case "${line%%=*}" in
      http_proxy | HTTP_PROXY | https_proxy | HTTPS_PROXY | no_proxy | NO_PROXY | NODE_EXTRA_CA_CERTS) ;;
      *) [[ -z "$line" ]] || kept+="$line"$'\n' ;;
    esac
  done <<<"$current"
  if [[ -n "$wanted" ]]; then kept+="$wanted"$'\n'; fi
  if [[ "$kept" == "$current"$'\n' || ( -z "$kept" && -z "$current" ) ]]; then return 0; fi
  printf '%s' "$kept" | as_runner_user tee -- "$file" >/dev/null
  log "wrote the proxy and CA settings into $file"
}

# config.sh (the runner's own parser) reads a word that starts with '--' as an option even where it
# expects a value, so `--labels --ephemeral` registers an ephemeral runner without labels, and it
# skips other words that start with '-'. The library refuses such values; this script does not
# rely on it.
refuse_option_like() {
  local what=$1 value=$2
  if [[ "$value" == -* ]]; then
    die "the $what '$value' starts with '-', which config.sh would read as an option; not registering"
  fi
}

check_option_values() {
  local name=$1 label labels=()
  IFS=, read -r -a labels <<<"${RUNNER_LABELS:-}"
  for label in "${labels[@]}"; do refuse_option_like label "$label"; done
  refuse_option_like "runner group" "${RUNNER_GROUP:-}"
  refuse_option_like "work folder" "$RUNNER_WORK_DIR"
  refuse_option_like "runner name (the hostname)" "$name"
  refuse_option_like "runner user" "$RUNNER_USER"
}

# The runner's folder goes into the unit file, where systemd gives '%', '\' and spaces meanings.
check_install_dir() {
  [[ "$RUNNER_DIR" =~ ^(/[A-Za-z0-9._-]+)+$ ]] || die "RUNNER_DIR '$RUNNER_DIR' must be an absolute path of letters, digits, '.', '_' and '-'"
}

# Whoever can write in the folder that holds the runner's folder can swap it for a link to
# anywhere; root works in that parent (see install_runner), so it must be root's alone.
prepare_install_parent() {
  local parent=${RUNNER_DIR%/*}
  if [[ ! -e "$parent" ]]; then mkdir -p -- "$parent"; fi
  require_root_only "$parent" "not installing the runner under it"
  # What an install cut short left behind, whether or not it got as far as the rename.
  rm -rf -- "$(staging_dir)"
}

staging_dir() {
  printf '%s/.installing' "${RUNNER_DIR%/*}"
}

as_runner_user() {
  runuser -u "$RUNNER_USER" -- "$@"
}

# Prints the first of the files a complete registration leaves that is missing; nothing when the
# runner is registered (config.sh saves .credentials_rsaparams, .credentials and last .runner).
missing_registration_file() {
  local file
  for file in .runner .credentials .credentials_rsaparams; do
    if [[ ! -f "$RUNNER_DIR/$file" ]]; then
      printf '%s' "$file"
      return
    fi
  done
}

# actions/runner names the unit actions.runner.<owner[-repository] or enterprises-slug>.<runner>.service.
runner_scope() {
  local path
  [[ "$RUNNER_URL" =~ ^https?://[^/]+/(.+)$ ]] || die "RUNNER_URL '$RUNNER_URL' has no organization, repository or enterprise path"
  path=${BASH_REMATCH[1]%/}
  printf '%s' "${path//[^0-9A-Za-z._-]/-}"
}

runner_name() {
  local name
  name=$(hostname)
  [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || die "the hostname '$name' cannot name the runner and its unit: only letters, digits, '.', '_' and '-'"
  printf '%s' "$name"
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

sha256_of() {
  local sum
  sum=$(sha256sum -- "$1")
  printf '%s' "${sum%% *}"
}

# The package, verified, at the path package_path prints. It is kept where only root can write
# until the runner is installed: systemd runs this script again 30 s after any failure, and a retry
# (dependencies that failed to install, a reboot) verifies the kept package again instead of
# downloading ~200 MB again. A kept package that does not match is downloaded again.
fetch_package() {
  local package download actual
  package=$(package_path)
  if [[ ! -d "$CACHE_DIR" ]]; then mkdir -m 0700 -- "$CACHE_DIR"; fi
  require_root_only "$CACHE_DIR" "not keeping the runner package in it"
  if [[ -f "$package" ]]; then
    actual=$(sha256_of "$package")
    if [[ "$actual" == "$RUNNER_SHA256" ]]; then
      log "using the runner package kept in $package: sha256 verified: $actual"
      return
    fi
    log "the runner package kept in $package does not match sha256 $RUNNER_SHA256; downloading it again"
    rm -f -- "$package"
  fi
  download="$package.download"
  download_runner "$download"
  actual=$(sha256_of "$download")
  if [[ "$actual" != "$RUNNER_SHA256" ]]; then
    rm -f -- "$download"
    die "checksum mismatch for $RUNNER_DOWNLOAD_URL: expected sha256 $RUNNER_SHA256, got $actual; not installing it"
  fi
  log "sha256 verified: $actual"
  mv -f -- "$download" "$package"
}

# The checksum names the file: it is a path, so it must be one.
package_path() {
  [[ "$RUNNER_SHA256" =~ ^[0-9a-f]{64}$ ]] || die "RUNNER_SHA256 '$RUNNER_SHA256' is not 64 lowercase hexadecimal digits"
  printf '%s/%s.tar.gz' "$CACHE_DIR" "$RUNNER_SHA256"
}

# Extracts the verified package and runs its installdependencies.sh (as root: it installs packages)
# in a folder only root can reach, then gives the folder to the runner user and renames it into
# place. So root runs that script only from the package it just verified, never from a folder the
# runner user has had, and the runner's folder exists complete or not at all. Complete on its own:
# it is also called without main (an image bake sources this script).
install_runner() {
  local package staging
  package=$(package_path)
  staging=$(staging_dir)
  prepare_install_parent
  fetch_package
  mkdir -m 0700 -- "$staging"
  mkdir -- "$staging/runner"
  tar --no-same-owner -xzf "$package" -C "$staging/runner"
  log "installing the runner's system dependencies"
  (cd "$staging/runner" && ./bin/installdependencies.sh)
  chown -R "$RUNNER_USER:" "$staging/runner"
  mv -T -- "$staging/runner" "$RUNNER_DIR"
  rm -rf -- "$staging"
  rm -f -- "$package"
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

# config.sh runs as the runner user: whatever a job made of it, it gets no more than a job has.
# It refuses to run over an existing configuration, and a registration cut short (or an
# ephemeral runner after its job) leaves part of one: remove it first; --replace takes over the
# runner of this name that GitHub may already have.
register_runner() {
  local name=$1 file missing stale=()
  build_config_args "$name"
  for file in .runner .runner_migrated .credentials .credentials_migrated .credentials_rsaparams; do
    stale+=("$RUNNER_DIR/$file")
  done
  as_runner_user rm -f -- "${stale[@]}"
  log "registering runner $name with $RUNNER_URL"
  (
    cd "$RUNNER_DIR"
    ACTIONS_RUNNER_INPUT_TOKEN="$REGISTRATION_TOKEN" as_runner_user ./config.sh "${CONFIG_ARGS[@]}"
  )
  REGISTRATION_TOKEN=""
  missing=$(missing_registration_file)
  [[ -z "$missing" ]] || die "config.sh did not register the runner: $RUNNER_DIR has no $missing"
}

# The runner's unit as `svc.sh install` writes it (actions/runner's template, its unit name), but
# written by root from root's copy of the template: svc.sh is generated into the runner's folder,
# where any job can rewrite it. Written at every run, over whatever unit is there, so a boot cut
# short anywhere in here is completed by the next one.
install_service() {
  local unit=$1 description=$2 unit_file="$SYSTEMD_UNIT_DIR/$1" content loaded=false
  # A unit file that was not there before this run was never loaded: systemd reads it from disk,
  # drop-ins included, when it is started (systemd 246+ looks again when the unit folders changed).
  if [[ -e "$unit_file" ]]; then loaded=true; fi
  content=$(<"$UNIT_TEMPLATE")
  content=${content//'{{User}}'/"$RUNNER_USER"}
  content=${content//'{{Description}}'/"$description"}
  content=${content//'{{RunnerRoot}}'/"$RUNNER_DIR"}
  printf '%s\n' "$content" >"$unit_file.new"
  chmod 0644 -- "$unit_file.new"
  mv -f -- "$unit_file.new" "$unit_file"
  # What svc.sh install also leaves in the runner's folder: the unit's ExecStart (the runner's
  # self-update keeps it current) and .service, the unit's name (the runner reads it to know it
  # runs as a service). The runner user writes them.
  as_runner_user cp -- "$RUNNER_DIR/bin/runsvc.sh" "$RUNNER_DIR/runsvc.sh"
  printf '%s\n' "$unit" | as_runner_user tee -- "$RUNNER_DIR/.service" >/dev/null
  install_power_off "$unit_file"
  # A reload only replaces a unit systemd has loaded (a later boot of a long-lived VM, or a run cut
  # short after the unit was written): it took 3-4 s of a warm pool VM's boot under software
  # emulation, measured, at every boot of a one-job VM, where the unit is always new.
  if [[ "$loaded" == true ]]; then systemctl daemon-reload; fi
  # --no-reload: enable only adds the unit's symlink.
  systemctl enable --no-reload "$unit"
}

# A warm pool's one-job VM powers off when its ephemeral runner's service stops after the job;
# KubeVirt starts it again on a fresh copy-on-write layer of the baked image. The power-off is
# report-runner-exit.service's (lib/guest/report-runner-exit.sh): it first says on the serial console
# how the runner ended and, when its version is deprecated (exit 7), holds the VM so that the cluster
# can read it. The runner gets the two variables that make a deprecated listener exit 7 and
# actions/runner's service stop after it; the report unit gets the runner unit's name.
install_power_off() {
  local unit_file=$1 unit=${1##*/}
  local drop_in="$unit_file.d/power-off-after-job.conf" report_drop_in="$SYSTEMD_UNIT_DIR/$REPORT_UNIT.d/runner-unit.conf"
  if [[ "${RUNNER_POWER_OFF_AFTER_JOB:-false}" == true ]]; then
    mkdir -p -- "${drop_in%/*}" "${report_drop_in%/*}"
    # OnSuccess= is systemd 249 (Ubuntu 22.04) or later.
    printf '%s\n' '[Unit]' "OnSuccess=$REPORT_UNIT" "OnFailure=$REPORT_UNIT" '' '[Service]' \
      'Environment=ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1' 'Environment=GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES=1' >"$drop_in"
    printf '%s\n' '[Service]' "Environment=RUNNER_UNIT=$unit" >"$report_drop_in"
  else
    rm -f -- "$drop_in" "$report_drop_in"
  fi
}

main() {
  local name scope unit
  load_settings "$SETTINGS_FILE"
  check_install_dir
  name=$(runner_name)
  check_option_values "$name"
  scope=$(runner_scope)
  unit="actions.runner.$scope.$name.service"
  export_proxy
  prepare_install_parent
  if [[ -z "$(missing_registration_file)" ]]; then
    log "runner already configured in $RUNNER_DIR; not registering again"
    write_runner_env
    install_service "$unit" "GitHub Actions Runner ($scope.$name)"
    systemctl start "$unit"
    log "runner started"
    return
  fi
  check_required_commands
  WORK_DIR=$(mktemp -d)
  trap cleanup EXIT
  # The token first: without it (a VM started after its Secret was deleted) there is no point in
  # downloading the runner again at every retry.
  read_token
  # An installed runner is kept: its folder only appears once the install is complete. Then the
  # kept package is no use any more, also when a reboot came between the install and its removal.
  if [[ ! -e "$RUNNER_DIR" ]]; then install_runner; fi
  rm -f -- "$(package_path)"
  # Before config.sh: the runner reads .env at start, also to register.
  write_runner_env
  register_runner "$name"
  install_service "$unit" "GitHub Actions Runner ($scope.$name)"
  systemctl start "$unit"
  log "runner registered and started"
}

# Sourced (by tests), it only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
