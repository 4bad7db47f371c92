import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { RunnerCloudInit, RunnerCloudInitProps, RunnerRelease } from '../../lib';
import { REGISTER_SCRIPT_PATH } from '../../lib/private/cloud-config';
import { RUNNER_SETTINGS_PATH } from '../../lib/private/guest-settings';

// Stub commands for everything in the registration script that touches the machine. Each one
// records what it was asked in $STUB_LOG; tar, sha256sum, mktemp and the shell itself are real.
const STUBS: Record<string, string> = {
  curl: `out=""; url=""
while [ $# -gt 0 ]; do case "$1" in --output) out=$2; shift 2;; -*) shift;; *) url=$1; shift;; esac; done
echo "$url" >> "$STUB_LOG/curl.log"
failures=$(cat "$STUB_LOG/curl-failures" 2>/dev/null || echo 0)
if [ "$failures" -gt 0 ]; then echo $((failures - 1)) > "$STUB_LOG/curl-failures"; echo "curl: (22) 503" >&2; exit 22; fi
cp "$STUB_RUNNER_TARBALL" "$out"`,
  mount: `echo "$*" >> "$STUB_LOG/mount.log"
[ "$1" = -o ] && [ "$2" = ro ] || { echo "mount: expected -o ro" >&2; exit 32; }
cp -R "$3/." "$4/"`,
  umount: `echo "$*" >> "$STUB_LOG/umount.log"
find "$1" -mindepth 1 -delete`,
  mountpoint: 'exit 1',
  runuser: `[ "$1" = -u ] && [ "$3" = -- ] || { echo "runuser: unexpected $*" >&2; exit 1; }
echo "$2" >> "$STUB_LOG/runuser.log"
shift 3
exec "$@"`,
  hostname: 'echo "$STUB_HOSTNAME"',
  chown: 'echo "$*" >> "$STUB_LOG/chown.log"',
  sleep: 'echo "$1" >> "$STUB_LOG/sleep.log"',
  systemctl: 'echo "$*" >> "$STUB_LOG/systemctl.log"',
  git: 'exit 0',
  docker: 'exit 0',
};

// Real commands the script uses, linked into the guest's PATH one by one.
const SYSTEM_TOOLS = ['bash', 'tar', 'gzip', 'sha256sum', 'mktemp', 'mkdir', 'rm', 'cp', 'find', 'cat', 'touch', 'printf', 'echo'];

// A fake runner package: config.sh records its arguments (NUL-separated) and keeps the token where
// the real runner keeps its credentials; svc.sh records its commands.
const FAKE_RUNNER: Record<string, string> = {
  'config.sh': `printf '%s\\0' "$@" > "$STUB_LOG/config.args"
echo run >> "$STUB_LOG/config.runs"
printf '%s' "\${ACTIONS_RUNNER_INPUT_TOKEN:-}" > .credentials
echo '{"agentName":"fake"}' > .runner`,
  'svc.sh': `echo "$*" >> "$STUB_LOG/svc.log"
if [ "$1" = install ]; then echo actions.runner.acme.runners-0.service > .service; fi`,
  'run.sh': 'exit 0',
  'bin/installdependencies.sh': 'echo ran >> "$STUB_LOG/installdependencies.log"',
};

export interface GuestRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A throw-away guest: a folder with stubs, a fake runner package, a token disk and the library's own script and settings. */
export class FakeGuest {
  public readonly root = mkdtempSync(join(tmpdir(), 'runner-guest-'));
  public readonly runnerDir = join(this.root, 'opt', 'runner');
  public readonly logDir = join(this.root, 'log');
  public readonly tokenDisk = join(this.root, 'dev', 'virtio-RUNNERTOKEN');
  public readonly tarball = join(this.root, 'actions-runner.tar.gz');
  public readonly tarballSha256: string;
  public readonly token = `AAAAFAKE${createHash('sha256').update(this.root).digest('hex').slice(0, 21).toUpperCase()}`;
  private readonly settingsFile = join(this.root, 'runner.env');
  // The system's own tools (tar, sha256sum, mktemp...), without any git or docker they may have.
  private readonly systemPath = join(this.root, 'sysbin');
  private readonly scriptFile = join(this.root, 'register-actions-runner');

  constructor() {
    for (const dir of ['bin', 'sysbin', 'pkg/bin', 'log', 'tmp', 'dev/virtio-RUNNERTOKEN']) mkdirSync(join(this.root, dir), { recursive: true });
    for (const tool of SYSTEM_TOOLS) symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim(), join(this.systemPath, tool));
    for (const [name, body] of Object.entries(STUBS)) this.writeExecutable(join(this.root, 'bin', name), body);
    for (const [name, body] of Object.entries(FAKE_RUNNER)) this.writeExecutable(join(this.root, 'pkg', name), body);
    execFileSync('tar', ['-czf', this.tarball, '-C', join(this.root, 'pkg'), '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.tarballSha256 = createHash('sha256').update(readFileSync(this.tarball)).digest('hex');
    writeFileSync(join(this.tokenDisk, 'token'), `${this.token}\n`);
  }

  /**
   * Renders the cloud-config with the library and installs its settings file and script, as
   * cloud-init would. Only RUNNER_DIR is moved into the fake guest's folder.
   */
  public install(props: Partial<RunnerCloudInitProps> = {}): void {
    const chart = Testing.chart();
    const cloudInit = new RunnerCloudInit(chart, 'ci', {
      url: 'https://github.com/acme',
      release: RunnerRelease.of('2.334.0', { sha256: this.tarballSha256 }),
      ...props,
    });
    const config = parse(cloudInit.userData);
    const file = (path: string) => config.write_files.find((f: any) => f.path === path).content as string;
    writeFileSync(this.settingsFile, `${file(RUNNER_SETTINGS_PATH)}RUNNER_DIR='${this.runnerDir}'\n`);
    this.writeExecutable(this.scriptFile, file(REGISTER_SCRIPT_PATH), false);
  }

  /** Removes a stub command, as if its package were not installed. */
  public uninstall(command: string): void {
    rmSync(join(this.root, 'bin', command));
  }

  /** Runs the registration script as its systemd unit would, with the stubs first on PATH. */
  public run(env: Record<string, string> = {}): GuestRun {
    const result = spawnSync('/bin/bash', [this.scriptFile], {
      env: {
        PATH: `${join(this.root, 'bin')}:${this.systemPath}`,
        TMPDIR: join(this.root, 'tmp'),
        RUNNER_SETTINGS_FILE: this.settingsFile,
        RUNNER_DISK_BY_ID_DIR: join(this.root, 'dev'),
        STUB_LOG: this.logDir,
        STUB_RUNNER_TARBALL: this.tarball,
        STUB_HOSTNAME: 'runners-0',
        ...env,
      },
      encoding: 'utf8',
      timeout: 30_000,
      // stdin from /dev/null: bash reads ~/.bashrc when its stdin is a socket, which node's pipes are.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** The arguments config.sh received on its last run. */
  public configArgs(): string[] | undefined {
    const text = this.log('config.args');
    return text === undefined ? undefined : text.split('\0').slice(0, -1);
  }

  /** Lines of a stub's log, or undefined when the stub never ran. */
  public logLines(name: string): string[] | undefined {
    return this.log(name)?.trim().split('\n');
  }

  public log(name: string): string | undefined {
    try {
      return readFileSync(join(this.logDir, name), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Every file under the guest's folder whose content holds `needle`, except those listed (links are not followed). */
  public filesContaining(needle: string, except: string[]): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const stat = lstatSync(path);
        if (stat.isSymbolicLink()) continue;
        if (stat.isDirectory()) walk(path);
        else if (!except.includes(path) && readFileSync(path).includes(needle)) found.push(path);
      }
    };
    walk(this.root);
    return found;
  }

  public dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private writeExecutable(path: string, body: string, addShebang = true): void {
    writeFileSync(path, addShebang ? `#!/bin/bash\n${body}\n` : body);
    chmodSync(path, 0o755);
  }
}
