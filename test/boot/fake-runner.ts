import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOCKS_SH, REPORT } from './guest-shell';

// Stand-ins for actions/runner's scripts: they do in the guest what the real ones do to the guest
// and report to the test instead of to GitHub. config.sh leaves what a complete registration leaves
// (.credentials_rsaparams, .credentials, .runner) and generates svc.sh, which reports if anyone
// ever runs it (the registration script must not: it writes the runner's unit itself). The unit
// runs runsvc.sh, which runs run.sh; run.sh, once cloud-init is done, reports who and which unit
// it runs as, the final status, and powers off.
const FILES: Record<string, string> = {
  'config.sh': `#!/bin/bash
set -eu
${REPORT}
printf '%s\\0' "$@" | report config-args
{
  echo "user=$(id -un)"
  echo "pwd=$PWD"
  echo "token_sha256=$(printf '%s' "\${ACTIONS_RUNNER_INPUT_TOKEN:-}" | sha256sum | cut -d' ' -f1)"
} | report config-env
echo '{"d":"fake"}' > .credentials_rsaparams
echo '{"scheme":"OAuth"}' > .credentials
echo '{"agentName":"fake"}' > .runner
printf '#!/bin/bash\\n%s\\necho "$* as $(id -un)" | report svc\\n' '${REPORT}' > svc.sh
chmod 755 svc.sh
`,
  // As actions/runner's service (runsvc.sh runs bin/RunnerService.js) runs its listener, here run.sh: it logs each exit, stops
  // after 0, 1 and 5 and exits 0, and starts it again 5 s after any other code, forever, unless
  // GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES stops it after that many in a row (2 to 4, retried 10 times, never happen here).
  'bin/runsvc.sh': `#!/bin/bash
failures=0
while :; do
  ./run.sh
  code=$?
  echo "Runner listener exited with error code $code"
  case $code in 0 | 1 | 5) exit 0 ;; esac
  failures=$((failures + 1))
  if [ "\${GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES:-0}" -gt 0 ] && [ "$failures" -ge "$GITHUB_ACTIONS_SERVICE_EXIT_AFTER_N_FAILURES" ]; then exit 0; fi
  sleep 5
done
`,
  'run.sh': `#!/bin/bash
${REPORT}
echo "user=$(id -un) host=$(hostname) unit=$(sed -n 's|^0::.*/||p' /proc/self/cgroup)" | report run
cloud-init status --wait >/dev/null 2>&1
cloud-init status --long 2>&1 | report cloud-init-status
sudo -n cat /run/cloud-init/result.json 2>&1 | report cloud-init-result
sudo -n systemctl poweroff
`,
  'bin/installdependencies.sh': `#!/bin/bash
echo ok | curl -fsS --data-binary @- http://10.0.2.100:8080/report/installdependencies >/dev/null
`,
};

// run.sh of a per-job VM (a just-in-time runner): it reports when it starts, waits until the boot
// and cloud-init are done (the runner's unit does not wait for them), then reports what it got (the
// JIT config's SHA-256, never the config) and what it sees of the machine, as the runner user; asks
// root whether any file holds the JIT config (grep reads it from a pipe: sudo logs command lines and
// the variables it passes on); then does what a job does, leaves files in the runner user's home
// and work folder, reports the boot's clocks, and exits. On a VM whose name ends in -2 the runner's
// version is deprecated: its listener exits 7, which run.sh passes on only with ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1
// in its environment and turns into 0 otherwise (actions/runner src/Misc/layoutroot/run.sh); the VM
// must power off all the same, and say 7 on its serial console.
const JIT_RUN_SH = `#!/bin/bash
${REPORT}
${CLOCKS_SH}
echo "uptime=$(cut -d' ' -f1 /proc/uptime)" | report jit-start
previous=$(cat "$HOME/job-was-here" "$PWD/_work/job-was-here" 2>/dev/null | tr '\\n' ' ')
timeout 180 systemctl is-system-running --wait >/dev/null 2>&1
cloud-init status --wait >/dev/null 2>&1
{
  echo "user=$(id -un)"
  echo "home=$HOME"
  echo "pwd=$PWD"
  echo "host=$(hostname)"
  echo "args=$#"
  echo "version=$(cat runner-version)"
  echo "deprecated_exit_code=\${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE:-}"
  echo "jit_sha256=$(printf '%s' "\${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" | sha256sum | cut -d' ' -f1)"
  echo "previous_job=\${previous:-none}"
  echo "system=$(systemctl is-system-running 2>&1)"
  echo "users=$(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 { printf "%s ", $1 }')"
  echo "cloud_instances=$(ls /var/lib/cloud/instances 2>&1 | tr '\\n' ' ')"
  echo "cloud_init=$(cloud-init status 2>&1 | tr '\\n' ' ')"
  echo "machine_id=$(cat /etc/machine-id)"
  echo "journals=$(ls /var/log/journal 2>&1 | tr '\\n' ' ')"
  echo "ssh_host_keys=$(cd /etc/ssh && ls ssh_host_*_key.pub 2>&1 | tr '\\n' ' ')"
  echo "sshd=$(systemctl is-active ssh 2>&1)"
} | report jit-run
printf '%s\\n' "\${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" | sudo -n grep -rlF -f - /etc /home /opt /root /run /srv /tmp /var 2>/dev/null | report jit-files
echo "job on $(hostname)" > "$HOME/job-was-here"
mkdir -p _work && echo "job on $(hostname)" > _work/job-was-here
clocks | report clocks
sudo -n cloud-init analyze blame 2>&1 | head -n 20 | report blame
case $(hostname) in *-2) [ "\${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE:-}" = 1 ] && exit 7 ;; esac
exit 0
`;

// run.sh of a warm pool's ephemeral runner (RunnerWarmPool), which the runner's unit runs through
// runsvc.sh: it reports when it starts and what the job left from an earlier one, waits until the
// boot is complete (so the baked per-job unit has been started or skipped by then), then reports
// what it sees of the machine, the per-job unit and its own unit's actions, leaves files in the
// runner user's home and work folder and exits 0, as an ephemeral runner does after its one job. On a VM whose name ends in -1
// the runner's version is deprecated: it exits 7 with ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1 in its environment
// (from its unit's drop-in), 1 (a terminated listener: the service stops) otherwise.
const WARM_RUN_SH = `#!/bin/bash
${REPORT}
${CLOCKS_SH}
echo "uptime=$(cut -d' ' -f1 /proc/uptime)" | report warm-start
previous=$(cat "$HOME/job-was-here" "$PWD/_work/job-was-here" 2>/dev/null | tr '\\n' ' ')
timeout 180 systemctl is-system-running --wait >/dev/null 2>&1
unit=$(sed -n 's|^0::.*/||p' /proc/self/cgroup)
{
  echo "user=$(id -un)"
  echo "home=$HOME"
  echo "pwd=$PWD"
  echo "host=$(hostname)"
  echo "unit=$unit"
  echo "args=$#"
  echo "previous_job=\${previous:-none}"
  echo "system=$(systemctl is-system-running 2>&1)"
  echo "users=$(getent passwd | awk -F: '$3 >= 1000 && $3 < 65534 { printf "%s ", $1 }')"
  echo "cloud_instances=$(ls /var/lib/cloud/instances 2>&1 | tr '\\n' ' ')"
  echo "cloud_init=$(cloud-init status 2>&1 | tr '\\n' ' ')"
  echo "machine_id=$(cat /etc/machine-id)"
  echo "jit_unit=$(systemctl show actions-runner-jit.service -p UnitFileState -p ActiveState -p ConditionResult -p ExecMainStartTimestampMonotonic | tr '\\n' ' ')"
  echo "unit_actions=$(systemctl show "$unit" -p OnSuccess -p OnFailure -p SuccessAction -p DropInPaths | tr '\\n' ' ')"
} | report warm-run
clocks "$unit" | report clocks
sudo -n cloud-init analyze blame 2>&1 | head -n 20 | report blame
echo "job on $(hostname), boot $(cat /proc/sys/kernel/random/boot_id)" > "$HOME/job-was-here"
mkdir -p _work && echo "job on $(hostname), boot $(cat /proc/sys/kernel/random/boot_id)" > _work/job-was-here
echo "uptime=$(cut -d' ' -f1 /proc/uptime)" | report warm-done
case $(hostname) in *-1) [ "\${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE:-}" = 1 ] && exit 7; exit 1 ;; esac
exit 0
`;

// run.sh of a long-lived runner on the default path (packages and Docker installed at first boot):
// once cloud-init is done it reports what a job would see (the runner's .env, the trust store, the
// installed packages and where they came from, its groups), then does what a Docker job does as the
// runner user: loads the test's image (from the test's server: nothing is pulled from a registry),
// runs a container from it, and reports the container's output and the times; then powers off.
const DOCKER_RUN_SH = `#!/bin/bash
${REPORT}
now() { date +%s.%N; }
echo "user=$(id -un) host=$(hostname) unit=$(sed -n 's|^0::.*/||p' /proc/self/cgroup)" | report run
cloud-init status --wait >/dev/null 2>&1
cloud-init status --long 2>&1 | report cloud-init-status
sudo -n cat /run/cloud-init/result.json 2>&1 | report cloud-init-result
sudo -n cloud-init analyze blame 2>&1 | report cloud-init-blame
cat .env 2>&1 | report runner-env
cat /etc/ssl/certs/ca-certificates.crt 2>&1 | report ca-bundle
{
  echo "groups=$(id -Gn)"
  echo "docker=$(systemctl is-active docker 2>&1)"
  echo "docker_root=$(docker info -f '{{.DockerRootDir}}' 2>&1)"
  echo "docker_data=$(findmnt -n -o SOURCE,FSTYPE,LABEL --target /var/lib/docker 2>&1 | tr -s ' ' | tr '\\n' ' ')"
  dpkg-query -W -f '\${Package} \${Version} \${db:Status-Abbrev}\\n' git curl qemu-guest-agent docker.io containerd runc 2>&1
  apt-cache policy git curl docker.io 2>&1
} | report packages
started=$(now)
curl -fsS --max-time 60 http://10.0.2.100:8080/images/busybox.tar | docker load 2>&1 | report docker-load
loaded=$(now)
docker run --rm boot-test/busybox:1 sh -c 'echo "hello from a container: uid $(busybox id -u), $(busybox uname -sm), pid $$"' 2>&1 | report docker-run
finished=$(now)
awk -v a="$started" -v b="$loaded" -v c="$finished" 'BEGIN { printf "load=%.1f run=%.1f\\n", b - a, c - b }' | report docker-times
sudo -n systemctl poweroff
`;

// run.sh of a baked image, which per-job VMs (jit.boot.ts) and warm pool VMs (warm.boot.ts) boot
// alike: the image is one, baked once for both (baked-image.ts shares it), and the warm pool's
// cloud-config writes its marker file.
const BAKED_RUN_SH = `#!/bin/bash
if [ -e /etc/actions-runner/warm-pool ]; then exec ./run-warm.sh "$@"; fi
exec ./run-jit.sh "$@"
`;

/**
 * The fake runner package as a .tar.gz, byte for byte the same at every call (its checksum names
 * the baked image); `baked`: with the run.sh of a baked image (one job per boot, per-job or warm
 * pool); `docker`: with the run.sh that runs a container as the runner user. `version` goes into
 * the package's file runner-version, which the per-job run.sh reports.
 */
export function fakeRunnerTarball(options: { baked?: boolean; docker?: boolean; version?: string } = {}): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'fake-runner-'));
  try {
    mkdirSync(join(dir, 'pkg', 'bin'), { recursive: true });
    const files = {
      ...FILES,
      'runner-version': `${options.version ?? '2.334.0'}\n`,
      ...(options.baked ? { 'run.sh': BAKED_RUN_SH, 'run-jit.sh': JIT_RUN_SH, 'run-warm.sh': WARM_RUN_SH } : {}),
      ...(options.docker ? { 'run.sh': DOCKER_RUN_SH } : {}),
    };
    for (const [name, body] of Object.entries(files)) {
      writeFileSync(join(dir, 'pkg', name), body);
      chmodSync(join(dir, 'pkg', name), 0o755);
    }
    // Deterministic: names sorted, no times or owners of this machine, gzip without a name or time.
    const tar = execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '-C', join(dir, 'pkg'), '.'],
      { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return execFileSync('gzip', ['-n', '-c'], { input: tar, maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
