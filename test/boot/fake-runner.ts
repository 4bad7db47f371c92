import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPORT = 'report() { curl -fsS --max-time 20 --data-binary @- "http://10.0.2.100:8080/report/$1" >/dev/null; }';

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
  'bin/runsvc.sh': `#!/bin/bash
exec ./run.sh
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
