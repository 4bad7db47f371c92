import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPORT = 'report() { curl -fsS --max-time 20 --data-binary @- "http://10.0.2.100:8080/report/$1" >/dev/null; }';

// Stand-ins for actions/runner's scripts: they do in the guest what the real ones do to the guest
// (write .runner, install and start a systemd unit as the runner user) and report to the test
// instead of to GitHub. run.sh, once cloud-init is done, reports its final status and powers off.
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
echo '{"agentName":"fake"}' > .runner
`,
  'svc.sh': `#!/bin/bash
set -eu
${REPORT}
unit=actions.runner.boot-test.service
case "$1" in
  install)
    printf '[Unit]\\nDescription=fake GitHub Actions runner\\n[Service]\\nUser=%s\\nWorkingDirectory=%s\\nExecStart=%s/run.sh\\n[Install]\\nWantedBy=multi-user.target\\n' \\
      "$2" "$PWD" "$PWD" > "/etc/systemd/system/$unit"
    systemctl daemon-reload
    systemctl enable "$unit"
    echo "$unit" > .service
    echo "install $2" | report svc ;;
  start)
    systemctl start "$unit"
    echo start | report svc ;;
esac
`,
  'run.sh': `#!/bin/bash
${REPORT}
echo "user=$(id -un) host=$(hostname)" | report run
cloud-init status --wait >/dev/null 2>&1
cloud-init status --long 2>&1 | report cloud-init-status
sudo -n cat /run/cloud-init/result.json 2>&1 | report cloud-init-result
sudo -n systemctl poweroff
`,
  'bin/installdependencies.sh': `#!/bin/bash
echo ok | curl -fsS --data-binary @- http://10.0.2.100:8080/report/installdependencies >/dev/null
`,
};

/** The fake runner package as a .tar.gz. */
export function fakeRunnerTarball(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'fake-runner-'));
  try {
    mkdirSync(join(dir, 'pkg', 'bin'), { recursive: true });
    for (const [name, body] of Object.entries(FILES)) {
      writeFileSync(join(dir, 'pkg', name), body);
      chmodSync(join(dir, 'pkg', name), 0o755);
    }
    execFileSync('tar', ['-czf', join(dir, 'runner.tar.gz'), '-C', join(dir, 'pkg'), '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    return readFileSync(join(dir, 'runner.tar.gz'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
