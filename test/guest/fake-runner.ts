// A fake actions/runner package for the guest-script tests: the files the registration script
// touches, doing what actions/runner's own do, step by step and in the same order, against a fake
// GitHub (a folder, $STUB_GITHUB) instead of the real one. Sources, read from actions/runner:
//   config.sh                              src/Misc/layoutroot/config.sh
//   env.sh                                 src/Misc/layoutroot/env.sh
//   bin/Runner.Listener (configure)        src/Runner.Common/CommandLineParser.cs, src/Runner.Listener/CommandSettings.cs,
//                                          src/Runner.Listener/Configuration/ConfigurationManager.cs (ConfigureAsync),
//                                          RSAFileKeyManager.cs, SystemdControlManager.cs (GenerateScripts)
//   bin/systemd.svc.sh.template            src/Misc/layoutbin/systemd.svc.sh.template (config.sh makes svc.sh of it)
//   bin/actions.runner.service.template    src/Misc/layoutbin/actions.runner.service.template
//   bin/runsvc.sh, bin/installdependencies.sh, run.sh
//
// Who runs a file is modelled, not real: the tests run as one user, so the stubbed `runuser`
// exports STUB_AS_USER and the stubbed `id` answers from it (unset: root).
//
// A crash is a reboot: FAKE_CRASH=<point> kills the whole process group of the boot (no trap, no
// cleanup runs) when the fake reaches <point>, after the step the point is named after.

/** Where the fake runner can be made to crash, in the order ConfigureAsync and svc.sh reach them. */
export const RUNNER_CRASH_POINTS = {
  /** config.sh: the RSA key (.credentials_rsaparams) is saved; GitHub knows nothing yet. */
  configKeySaved: 'config-key-saved',
  /** config.sh: GitHub has the runner (added or replaced); nothing local but the key. */
  configRegistered: 'config-registered',
  /** config.sh: .credentials is saved, .runner is not. */
  configCredentialsSaved: 'config-credentials-saved',
  /** config.sh: .runner is saved; svc.sh is not generated yet. */
  configSettingsSaved: 'config-settings-saved',
  /** svc.sh install: the unit file is in /etc/systemd/system; no daemon-reload, no enable, no .service. */
  svcUnitWritten: 'svc-unit-written',
  /** svc.sh install: the unit is enabled; .service is not written yet. */
  svcEnabled: 'svc-enabled',
  /** bin/installdependencies.sh: in the middle of installing packages. */
  installDependencies: 'installdependencies',
} as const;

// Kills the boot (see above) when FAKE_CRASH names this point.
const CRASH = `crash_after() {
  if [ "\${FAKE_CRASH:-}" = "$1" ]; then echo "$1" >> "$STUB_LOG/crash.log"; kill -KILL 0; fi
}`;

// config.sh: refuses root, works in its own folder, snapshots the environment (env.sh), then
// hands over to Runner.Listener's configure.
const CONFIG_SH = `#!/bin/bash
printf '%s\\0' "$@" > "$STUB_LOG/config.args"
echo "\${STUB_AS_USER:-root}" >> "$STUB_LOG/config.runs"
if [ "$(id -u)" = 0 ] && [ -z "\${RUNNER_ALLOW_RUNASROOT:-}" ]; then echo "Must not run with sudo"; exit 1; fi
cd "$(dirname "$(readlink -f "\${BASH_SOURCE[0]}")")" || exit 1
. ./env.sh
case "\${1,,}" in
  remove) exec ./bin/Runner.Listener "$@" ;;
  *) exec ./bin/Runner.Listener configure "$@" ;;
esac
`;

// env.sh: records the configuring user's PATH (and a few variables) for the service.
const ENV_SH = `#!/bin/bash
[ -f .env ] || touch .env
printf '%s\\n' "$PATH" > .path
`;

const RUNNER_LISTENER = `#!/bin/bash
${CRASH}
fail() { echo "$*" >&2; exit 1; }

# CommandLineParser.Parse: words before the first --x are commands; --x opens an argument (one
# still open becomes a flag); a word not starting with '-' is the open argument's value (the first
# value wins); any other word starting with '-' is ignored. Names are case-insensitive.
commands=(); declare -A args=() flags=()
has_args=0; scope=""
for arg in "$@"; do
  [[ $arg == --* ]] && has_args=1
  if [ $has_args -eq 0 ]; then
    commands+=("$arg")
  elif [[ $arg == --?* ]]; then
    [ -n "$scope" ] && flags[$scope]=1
    scope=\${arg#--}; scope=\${scope,,}
  elif [[ $arg != -* ]]; then
    if [ -n "$scope" ] && [ -z "\${args[$scope]+set}" ]; then args[$scope]=$arg; scope=""; fi
  fi
done
[ -n "$scope" ] && flags[$scope]=1

# CommandSettings.Validate: only configure's own flags and arguments.
valid=" disableupdate ephemeral generateserviceconfig replace runasservice unattended no-default-labels auth labels "
valid+="monitorsocketaddress name pat runnergroup token url username windowslogonaccount windowslogonpassword work "
valid+="help version commit check "
[ "\${commands[*]}" = configure ] || fail "Unrecognized command-line input arguments: '\${commands[*]}'"
for option in "\${!flags[@]}" "\${!args[@]}"; do
  [[ $valid == *" $option "* ]] || fail "Unrecognized command-line input arguments: '$option'. For usage refer to: .\\\\config.cmd --help or ./config.sh --help"
done

# CommandSettings.GetArg: the command line first, then ACTIONS_RUNNER_INPUT_<NAME>; unattended,
# a missing value takes its default or is an error.
arg() {
  local name=$1 default=$2 env="ACTIONS_RUNNER_INPUT_\${1^^}"
  if [ -n "\${args[$name]:-}" ]; then printf '%s' "\${args[$name]}"
  elif [ -n "\${!env:-}" ]; then printf '%s' "\${!env}"
  elif [ -n "$default" ]; then printf '%s' "$default"
  elif [ "$3" != optional ]; then fail "Invalid configuration provided for $name. Terminating unattended configuration."
  fi
}
flag() { [ -n "\${flags[$1]:-}" ] && echo true || echo false; }
[ -n "\${flags[unattended]:-}" ] || fail "fake runner: only --unattended is modelled"

# ConfigurationManager.ConfigureAsync, step by step.
if [ -f .runner ] || [ -f .runner_migrated ]; then
  fail "Cannot configure the runner because it is already configured. To reconfigure the runner, run 'config.cmd remove' or './config.sh remove' first."
fi
url=$(arg url "") || exit 1
token=$(arg token "") || exit 1
[ "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" = "$(cat "$STUB_GITHUB/token.sha256")" ] \\
  || fail "Http response code: NotFound from 'POST https://api.github.com/actions/runner-registration'"
echo "Connected to GitHub"
# RSAFileKeyManager.CreateKey: an existing key is reused.
if [ ! -f .credentials_rsaparams ]; then
  echo "{\\"d\\":\\"$RANDOM$RANDOM$RANDOM\\"}" > .credentials_rsaparams
  chmod 600 .credentials_rsaparams
fi
crash_after ${RUNNER_CRASH_POINTS.configKeySaved}
name=$(arg name "$(hostname)") || exit 1
group=$(arg runnergroup Default) || exit 1
labels=$(arg labels "" optional)
record="$STUB_GITHUB/runners/$name"
if [ -f "$record" ]; then
  echo "A runner exists with the same name"
  [ -n "\${flags[replace]:-}" ] || fail "A runner exists with the same name $name."
  echo "Successfully replaced the runner"
else
  echo "Runner successfully added"
fi
mkdir -p "$STUB_GITHUB/runners"
{
  echo "group=$group"
  echo "labels=$labels"
  echo "no-default-labels=$(flag no-default-labels)"
  echo "ephemeral=$(flag ephemeral)"
  echo "disableupdate=$(flag disableupdate)"
  echo "key=$(cat .credentials_rsaparams)"
} > "$record"
crash_after ${RUNNER_CRASH_POINTS.configRegistered}
echo '{"scheme":"OAuth","data":{"clientId":"fake"}}' > .credentials
crash_after ${RUNNER_CRASH_POINTS.configCredentialsSaved}
work=$(arg work _work) || exit 1
printf '{"agentName":"%s","gitHubUrl":"%s","workFolder":"%s"}\\n' "$name" "$url" "$work" > .runner
echo "Settings Saved."
crash_after ${RUNNER_CRASH_POINTS.configSettingsSaved}
# SystemDControlManager.GenerateScripts: svc.sh for actions.runner.<repo or org>.<name>.service.
scope=\${url#*://*/}; scope=\${scope%/}
svc_name="actions.runner.\${scope//[^0-9a-zA-Z._-]/-}.$name.service"
content=$(<./bin/systemd.svc.sh.template)
content=\${content//'{{SvcDescription}}'/"GitHub Actions Runner (\${scope//[^0-9a-zA-Z._-]/-}.$name)"}
printf '%s\\n' "\${content//'{{SvcNameVar}}'/$svc_name}" > svc.sh
chmod 755 svc.sh
`;

// svc.sh (config.sh fills in the unit's name and description): as root only; `install USER`
// renders the unit template into the systemd folder (and fails if a unit file is already there),
// reloads systemd, copies runsvc.sh, enables the unit and last writes .service; `start` starts it.
const SVC_SH_TEMPLATE = `#!/bin/bash
${CRASH}
echo "$*" >> "$STUB_LOG/svc.log"
unit_name="{{SvcNameVar}}"
unit_name=\${unit_name// /_}
description="{{SvcDescription}}"
unit_file="$STUB_SYSTEMD_DIR/$unit_name"
die() { echo "Failed: $1" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "Must run as sudo"; exit 1; }
[ -f ./bin/actions.runner.service.template ] || die "Must run from runner root or install is corrupt"

install_unit() {
  local user=\${1:-$SUDO_USER} uid gid content
  echo "Creating launch runner in $unit_file"
  [ ! -f "$unit_file" ] || die "error: exists $unit_file"
  uid=$(id -u "$user") || die "User does not exist"
  gid=$(id -g "$user") || die "Group not available"
  content=$(<./bin/actions.runner.service.template)
  content=\${content//'{{User}}'/"$user"}
  content=\${content//'{{Description}}'/"$description"}
  content=\${content//'{{RunnerRoot}}'/"$PWD"}
  printf '%s\\n' "$content" > ./bin/actions.runner.service.temp || die "failed to create replacement temp file"
  mv ./bin/actions.runner.service.temp "$unit_file" || die "failed to copy unit file"
  crash_after ${RUNNER_CRASH_POINTS.svcUnitWritten}
  chmod 664 "$unit_file" || die "failed to set permissions on $unit_file"
  systemctl daemon-reload || die "failed to reload daemons"
  cp ./bin/runsvc.sh ./runsvc.sh && chown "$uid:$gid" ./runsvc.sh && chmod 755 ./runsvc.sh || die "failed to copy runsvc.sh"
  systemctl enable "$unit_name" || die "failed to enable $unit_name"
  crash_after ${RUNNER_CRASH_POINTS.svcEnabled}
  echo "$unit_name" > .service && chown "$uid:$gid" .service || die "failed to create .service file"
}

case "$1" in
  install) install_unit "$2" ;;
  start) systemctl start "$unit_name" || die "failed to start $unit_name" ;;
  *) echo "fake svc.sh: $1 is not modelled"; exit 1 ;;
esac
`;

// The directives of actions/runner's unit template.
const SERVICE_TEMPLATE = `[Unit]
Description={{Description}}
After=network-online.target

[Service]
ExecStart={{RunnerRoot}}/runsvc.sh
User={{User}}
WorkingDirectory={{RunnerRoot}}
KillMode=process
KillSignal=SIGTERM
TimeoutStopSec=5min

[Install]
WantedBy=multi-user.target
`;

const INSTALL_DEPENDENCIES = `#!/bin/bash
${CRASH}
user_id=\`id -u\`

if [ $user_id -ne 0 ]; then
    echo "Need to run with sudo privilege"
    exit 1
fi
echo ran >> "$STUB_LOG/installdependencies.log"
crash_after ${RUNNER_CRASH_POINTS.installDependencies}
if [ -n "\${FAKE_INSTALLDEPENDENCIES_FAIL:-}" ]; then
    echo "Can't install dotnet core dependencies."
    exit 1
fi
`;

// run.sh: what a per-job VM runs. The real one runs the listener, which takes a just-in-time
// runner's config from --jitconfig or ACTIONS_RUNNER_INPUT_JITCONFIG, runs one job and exits. The
// fake records who ran it, where, its arguments and the config's SHA-256 (never the config), and
// exits with FAKE_RUN_STATUS. FAKE_RUN_STATUS=deprecated: the listener exits 7 (its version is
// deprecated), which run.sh passes on only with ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1
// in its environment, and turns into 0 otherwise (src/Misc/layoutroot/run.sh, run-helper.sh.template).
const RUN_SH = `#!/bin/bash
{
  echo "user=\${STUB_AS_USER:-root}"
  echo "pwd=$PWD"
  echo "args=$#"
  echo "jit_sha256=$(printf '%s' "\${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" | sha256sum | cut -d' ' -f1)"
  echo "deprecated_exit_code=\${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE:-}"
} >> "$STUB_LOG/run.log"
if [ "\${FAKE_RUN_STATUS:-0}" = deprecated ]; then
  [ "\${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE:-}" = 1 ] && exit 7
  exit 0
fi
exit "\${FAKE_RUN_STATUS:-0}"
`;

/** The package's files (path relative to the runner's folder -> content); all executable. */
export const FAKE_RUNNER_FILES: Readonly<Record<string, string>> = Object.freeze({
  'config.sh': CONFIG_SH,
  'env.sh': ENV_SH,
  'run.sh': RUN_SH,
  'bin/Runner.Listener': RUNNER_LISTENER,
  'bin/systemd.svc.sh.template': SVC_SH_TEMPLATE,
  'bin/actions.runner.service.template': SERVICE_TEMPLATE,
  'bin/runsvc.sh': '#!/bin/bash\nexec ./run.sh\n',
  'bin/installdependencies.sh': INSTALL_DEPENDENCIES,
});
