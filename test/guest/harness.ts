import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { FAKE_RUNNER_FILES } from './fake-runner';
import { OsImage, RunnerCloudInit, RunnerCloudInitProps, RunnerImage, RunnerImageProps, RunnerRelease } from '../../lib';
import { BAKE_SCRIPT_PATH, JIT_SCRIPT_PATH, JIT_UNIT_PATH, REGISTER_SCRIPT_PATH, REGISTER_UNIT_PATH, RUNNER_UNIT_TEMPLATE_PATH } from '../../lib/render/cloud-config';
import { RUNNER_SETTINGS_PATH } from '../../lib/render/guest-settings';
import { shellQuote } from '../../lib/private/shell';

/** Where a stub can be made to crash the boot: FAKE_CRASH=<stub> or FAKE_CRASH='<stub> <first argument>'. */
const CRASH_CHECK = `case "\${FAKE_CRASH:-}" in "$(basename "$0")"|"$(basename "$0") $1") echo "$FAKE_CRASH" >> "$STUB_LOG/crash.log"; kill -KILL 0;; esac`;

// Stub commands for everything in the registration script that touches the machine. Each one
// records what it was asked in $STUB_LOG; tar, sha256sum, mktemp and the shell itself are real.
const STUBS: Record<string, string> = {
  // FAKE_CRASH=curl dies halfway through the download, leaving half a file.
  curl: `out=""; url=""
while [ $# -gt 0 ]; do case "$1" in --output) out=$2; shift 2;; -*) shift;; *) url=$1; shift;; esac; done
echo "$url" >> "$STUB_LOG/curl.log"
echo "\${https_proxy:-} \${HTTPS_PROXY:-} \${no_proxy:-}" >> "$STUB_LOG/curl-proxy.log"
failures=$(cat "$STUB_LOG/curl-failures" 2>/dev/null || echo 0)
if [ "$failures" -gt 0 ]; then echo $((failures - 1)) > "$STUB_LOG/curl-failures"; echo "curl: (22) 503" >&2; exit 22; fi
if [ "\${FAKE_CRASH:-}" = curl ]; then head -c 1000 "$STUB_RUNNER_TARBALL" > "$out"; echo curl >> "$STUB_LOG/crash.log"; kill -KILL 0; fi
cp "$STUB_RUNNER_TARBALL" "$out"`,
  mount: `echo "$*" >> "$STUB_LOG/mount.log"
[ "$1" = -o ] && [ "$2" = ro ] || { echo "mount: expected -o ro" >&2; exit 32; }
cp -R "$3/." "$4/"`,
  umount: `echo "$*" >> "$STUB_LOG/umount.log"
find "$1" -mindepth 1 -delete`,
  mountpoint: 'exit 1',
  // Runs the command as if it were the user: STUB_AS_USER tells the fakes (and `id`) who they are.
  // FAKE_CRASH='runuser <command>' dies before running it.
  runuser: `[ "$1" = -u ] && [ "$3" = -- ] || { echo "runuser: unexpected $*" >&2; exit 1; }
case "\${FAKE_CRASH:-}" in "runuser $4") echo "$FAKE_CRASH" >> "$STUB_LOG/crash.log"; kill -KILL 0;; esac
echo "$2" >> "$STUB_LOG/runuser.log"
printf '%s\\0' "$@" >> "$STUB_LOG/runuser.args"
export STUB_AS_USER=$2
shift 3
exec "$@"`,
  // Who is running: root, unless the stubbed runuser switched to a user (uid 1001).
  id: `case "$1" in
  -u|-g) if [ -n "\${2:-}" ]; then [ "$2" = root ] && echo 0 || echo 1001; else [ -n "\${STUB_AS_USER:-}" ] && echo 1001 || echo 0; fi;;
  -un) echo "\${STUB_AS_USER:-root}";;
  *) echo "id: $* is not modelled" >&2; exit 1;;
esac`,
  hostname: 'echo "$STUB_HOSTNAME"',
  chown: `${CRASH_CHECK}
echo "$*" >> "$STUB_LOG/chown.log"`,
  sleep: 'echo "$1" >> "$STUB_LOG/sleep.log"',
  // systemd, as far as the script and svc.sh use it: a unit must exist to be enabled or started.
  systemctl: `${CRASH_CHECK}
echo "$*" >> "$STUB_LOG/systemctl.log"
[ "\${2:-}" != --no-reload ] || set -- "$1" "\${@:3}"
case "$1" in
  enable) shift
    for unit in "$@"; do
      [ -f "$STUB_SYSTEMD_DIR/$unit" ] || { echo "Failed to enable unit: Unit file $unit does not exist." >&2; exit 1; }
    done
    printf '%s\\n' "$@" >> "$STUB_LOG/enabled.log";;
  start) [ -f "$STUB_SYSTEMD_DIR/$2" ] || { echo "Failed to start $2: Unit $2 not found." >&2; exit 5; }
    echo "$2" >> "$STUB_LOG/started.log";;
esac`,
  // The real mv; FAKE_CRASH='mv <pattern of the destination's name>' dies right after it moved.
  mv: `"$STUB_SYSBIN/mv" "$@" || exit
if [ -n "\${FAKE_CRASH:-}" ]; then
  case "mv $(basename "\${!#}")" in $FAKE_CRASH) echo "$FAKE_CRASH" >> "$STUB_LOG/crash.log"; kill -KILL 0;; esac
fi`,
  git: 'exit 0',
  docker: 'exit 0',
  // What an image bake calls to forget the machine: recorded, and nothing else.
  'cloud-init': `echo "$*" >> "$STUB_LOG/cloud-init.log"
exit "\${FAKE_CLOUD_INIT_STATUS:-0}"`,
  journalctl: 'echo "$*" >> "$STUB_LOG/journalctl.log"',
  'apt-get': 'echo "$*" >> "$STUB_LOG/apt-get.log"',
  sync: 'echo sync >> "$STUB_LOG/sync.log"',
  // Records the transient unit it was asked to start; the test runs its command as systemd would.
  'systemd-run': `${CRASH_CHECK}
{ printf '%s\\0' "$@"; echo; } >> "$STUB_LOG/systemd-run.args"`,
};

// Real commands the script and the fake runner use, linked into the guest's PATH one by one.
const SYSTEM_TOOLS = ['bash', 'tar', 'gzip', 'sha256sum', 'mktemp', 'mkdir', 'rm', 'cp', 'mv', 'find', 'cat', 'touch', 'printf', 'echo',
  'sed', 'chmod', 'stat', 'tee', 'head', 'cut', 'basename', 'dirname', 'readlink'];
const SETSID = execFileSync('bash', ['-c', 'command -v setsid']).toString().trim();

/** A fake JIT config, unique to `seed`: base64 with '+', '/' and '=' in it, as a real one may have. */
function fakeJitConfig(seed: string): string {
  const json = Buffer.from(JSON.stringify({ '.runner': createHash('sha256').update(`jit ${seed}`).digest('hex'), '.credentials': '{"scheme":"OAuth"}' }));
  // 0xfb 0xef 0xff encode as '++//' (at an offset that is a multiple of 3); a length one more than a multiple of 3 ends in '=='.
  const aligned = Buffer.concat([json, Buffer.alloc((3 - (json.length % 3)) % 3, 0x20)]);
  return Buffer.concat([aligned, Buffer.from([0xfb, 0xef, 0xff, 0x41])]).toString('base64');
}

export interface GuestRun {
  readonly status: number;
  /** 'SIGKILL' when a FAKE_CRASH point killed the boot. */
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a boot left behind: the runner's registration, here and on the fake GitHub, and its systemd unit. */
export interface RunnerState {
  /** Which of the runner's own configuration files exist. */
  readonly localConfig: string[];
  /** Names of the runners the fake GitHub has. */
  readonly githubRunners: string[];
  /** Whether GitHub's runner has the key the runner holds (else the runner cannot connect). */
  readonly keyMatches: boolean;
  /** The unit files in the systemd folder. */
  readonly unitFiles: string[];
  /** Units enabled, and the last one started. */
  readonly enabled: string[];
  readonly lastStarted: string | undefined;
}

/** A throw-away guest: a folder with stubs, a fake runner package, a token disk, a fake GitHub and the library's own script and settings. */
export class FakeGuest {
  public readonly root = mkdtempSync(join(tmpdir(), 'runner-guest-'));
  public readonly runnerDir = join(this.root, 'opt', 'actions-runner', 'runner');
  public readonly logDir = join(this.root, 'log');
  public readonly tokenDisk = join(this.root, 'dev', 'virtio-RUNNERTOKEN');
  public readonly unitDir = join(this.root, 'etc', 'systemd', 'system');
  public readonly cacheDir = join(this.root, 'var', 'cache', 'actions-runner');
  public readonly githubDir = join(this.root, 'github');
  public readonly tarball = join(this.root, 'actions-runner.tar.gz');
  public readonly tarballSha256: string;
  public readonly token = `AAAAFAKE${createHash('sha256').update(this.root).digest('hex').slice(0, 21).toUpperCase()}`;
  public readonly settingsFile = join(this.root, 'etc', 'actions-runner', 'runner.env');
  /** What the per-job script writes on the VM's serial console goes here (a file). */
  public readonly serialConsole = join(this.root, 'serial-console');
  public readonly unitTemplateFile = join(this.root, 'etc', 'actions-runner', 'actions.runner.service.template');
  /** A per-job VM's disk of ARC's JIT Secret (serial RUNNERJIT), and the JIT config on it: opaque, base64 like ARC's. */
  public readonly jitDisk = join(this.root, 'dev', 'virtio-RUNNERJIT');
  public readonly jitConfig = fakeJitConfig(this.root);
  /** What an image bake leaves when it is done. */
  public readonly bakedMarker = join(this.root, 'etc', 'actions-runner', 'image-baked');
  /** Where the bake script is installed: the command of the unit it asks systemd for. */
  public readonly bakeScriptFile = join(this.root, 'bake-runner-image');
  /** The machine's identity, which a bake must forget; other files beside it must stay. */
  public readonly identityFiles = {
    machineId: join(this.root, 'etc', 'machine-id'),
    dbusMachineId: join(this.root, 'var', 'lib', 'dbus', 'machine-id'),
    sshHostKeys: ['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub', 'ssh_host_rsa_key'].map((f) => join(this.root, 'etc', 'ssh', f)),
    sshConfig: join(this.root, 'etc', 'ssh', 'sshd_config'),
    journal: join(this.root, 'var', 'log', 'journal', '0123456789abcdef0123456789abcdef', 'system.journal'),
  };
  // The system's own tools (tar, sha256sum, mktemp...), without any git or docker they may have.
  private readonly systemPath = join(this.root, 'sysbin');
  private readonly scriptFile = join(this.root, 'register-actions-runner');
  private readonly jitScriptFile = join(this.root, 'run-actions-runner-jit');

  constructor() {
    for (const dir of ['bin', 'sysbin', 'pkg/bin', 'log', 'tmp', 'dev/virtio-RUNNERTOKEN', 'etc/systemd/system', 'etc/actions-runner', 'github/runners', 'var/cache']) {
      mkdirSync(join(this.root, dir), { recursive: true });
    }
    for (const tool of SYSTEM_TOOLS) symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim(), join(this.systemPath, tool));
    for (const [name, body] of Object.entries(STUBS)) this.writeExecutable(join(this.root, 'bin', name), `#!/bin/bash\n${body}\n`);
    for (const [name, body] of Object.entries(FAKE_RUNNER_FILES)) this.writeExecutable(join(this.root, 'pkg', name), body);
    execFileSync('tar', ['-czf', this.tarball, '-C', join(this.root, 'pkg'), '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.tarballSha256 = createHash('sha256').update(readFileSync(this.tarball)).digest('hex');
    writeFileSync(join(this.tokenDisk, 'token'), `${this.token}\n`);
    this.setGitHubToken(this.token);
    mkdirSync(this.jitDisk);
    // As ARC's Secret holds it: no trailing newline.
    writeFileSync(join(this.jitDisk, 'jitToken'), this.jitConfig);
  }

  /**
   * Renders the cloud-config with the library and installs its settings file and script, as
   * cloud-init would. Only RUNNER_DIR is moved into the fake guest's folder; `settings` overrides
   * variables of the settings file (values the library would refuse).
   */
  public install(props: Partial<RunnerCloudInitProps> = {}, settings: Record<string, string> = {}): void {
    const chart = Testing.chart();
    const cloudInit = new RunnerCloudInit(chart, 'ci', {
      url: 'https://github.com/acme',
      release: RunnerRelease.of('2.334.0', { sha256: this.tarballSha256 }),
      ...props,
    });
    const config = parse(cloudInit.userData);
    const file = (path: string) => config.write_files.find((f: any) => f.path === path).content as string;
    this.installSettings(file(RUNNER_SETTINGS_PATH), settings);
    this.writeExecutable(this.scriptFile, file(REGISTER_SCRIPT_PATH));
    writeFileSync(this.unitTemplateFile, file(RUNNER_UNIT_TEMPLATE_PATH), { mode: 0o644 });
  }

  /**
   * Renders a RunnerImage's bake cloud-config with the library and installs what it writes, as
   * cloud-init would: the settings file, the registration, bake and per-job scripts, and the
   * per-job and registration units; plus a machine identity for the bake to forget. Only RUNNER_DIR is moved into the
   * fake guest's folder; `settings` overrides variables of the settings file.
   */
  public installImage(props: Partial<RunnerImageProps> = {}, settings: Record<string, string> = {}): void {
    const chart = Testing.chart();
    new RunnerImage(chart, 'image', {
      baseOsImage: OsImage.debian12(),
      release: RunnerRelease.of('2.334.0', { sha256: this.tarballSha256 }),
      ...props,
    });
    const secret = Testing.synth(chart).find((o: any) => o.kind === 'Secret');
    const config = parse(secret.stringData.userdata);
    const file = (path: string) => config.write_files.find((f: any) => f.path === path).content as string;
    this.installSettings(file(RUNNER_SETTINGS_PATH), settings);
    this.writeExecutable(this.scriptFile, file(REGISTER_SCRIPT_PATH));
    this.writeExecutable(this.bakeScriptFile, file(BAKE_SCRIPT_PATH));
    this.writeExecutable(this.jitScriptFile, file(JIT_SCRIPT_PATH));
    for (const unit of [JIT_UNIT_PATH, REGISTER_UNIT_PATH]) writeFileSync(join(this.unitDir, basename(unit)), file(unit), { mode: 0o644 });
    const { machineId, dbusMachineId, sshHostKeys, sshConfig, journal } = this.identityFiles;
    for (const path of [machineId, dbusMachineId, ...sshHostKeys, sshConfig, journal]) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${basename(path)} of the bake VM\n`);
    }
  }

  /** Removes a stub command, as if its package were not installed. */
  public uninstall(command: string): void {
    rmSync(join(this.root, 'bin', command));
  }

  /** The registration token GitHub accepts (another one plays an expired token). */
  public setGitHubToken(token: string): void {
    writeFileSync(join(this.githubDir, 'token.sha256'), createHash('sha256').update(token).digest('hex'));
  }

  private installSettings(rendered: string, settings: Record<string, string>): void {
    const overrides = Object.entries({ RUNNER_DIR: this.runnerDir, ...settings }).map(([name, value]) => `${name}=${shellQuote(value)}\n`).join('');
    writeFileSync(this.settingsFile, `${rendered}${overrides}`, { mode: 0o600 });
  }

  /** Runs the bake script as cloud-init's runcmd would (installImage first); with 'seal', as the unit it asks systemd for would. */
  public bake(env: Record<string, string> = {}, ...args: string[]): GuestRun {
    return this.spawn(['/bin/bash', this.bakeScriptFile, ...args], env);
  }

  /** The arguments of each systemd-run call: the transient units asked for, with their options and command. */
  public transientUnits(): string[][] {
    return (this.logLines('systemd-run.args') ?? []).map((line) => line.split('\0').slice(0, -1));
  }

  /** Runs the per-job script as its systemd unit would at the boot of a per-job VM (installImage and bake first). */
  public runJob(env: Record<string, string> = {}): GuestRun {
    return this.spawn(['/bin/bash', this.jitScriptFile], env);
  }

  /** Runs the registration script as its systemd unit would, with the stubs first on PATH, in a process group of its own (what FAKE_CRASH kills). */
  public run(env: Record<string, string> = {}): GuestRun {
    return this.spawn(['/bin/bash', this.scriptFile], env);
  }

  /** Sources the registration script (which then defines its functions only) and runs `commands`, as another script would. */
  public source(commands: string, env: Record<string, string> = {}): GuestRun {
    return this.spawn(['/bin/bash', '-c', `set -euo pipefail; source ${shellQuote(this.scriptFile)}; ${commands}`], env);
  }

  private spawn(command: string[], env: Record<string, string>): GuestRun {
    const result = spawnSync(SETSID, command, {
      env: {
        PATH: `${join(this.root, 'bin')}:${this.systemPath}`,
        TMPDIR: join(this.root, 'tmp'),
        RUNNER_SETTINGS_FILE: this.settingsFile,
        RUNNER_DISK_BY_ID_DIR: join(this.root, 'dev'),
        RUNNER_SERIAL_CONSOLE: this.serialConsole,
        RUNNER_UNIT_TEMPLATE: this.unitTemplateFile,
        RUNNER_SYSTEMD_UNIT_DIR: this.unitDir,
        RUNNER_CACHE_DIR: this.cacheDir,
        RUNNER_REGISTER_SCRIPT: this.scriptFile,
        RUNNER_BAKED_MARKER: this.bakedMarker,
        RUNNER_SYSTEM_ROOT: this.root,
        STUB_LOG: this.logDir,
        STUB_SYSBIN: this.systemPath,
        STUB_RUNNER_TARBALL: this.tarball,
        STUB_HOSTNAME: 'runners-0',
        STUB_SYSTEMD_DIR: this.unitDir,
        STUB_GITHUB: this.githubDir,
        ...env,
      },
      encoding: 'utf8',
      timeout: 30_000,
      // stdin from /dev/null: bash reads ~/.bashrc when its stdin is a socket, which node's pipes are.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: result.status ?? -1, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  }

  /** The arguments config.sh received on its last run. */
  public configArgs(): string[] | undefined {
    const text = this.log('config.args');
    return text === undefined ? undefined : text.split('\0').slice(0, -1);
  }

  /** What the fake GitHub knows about a runner (group, labels, flags, key), or undefined. */
  public githubRunner(name: string): Record<string, string> | undefined {
    const file = join(this.githubDir, 'runners', name);
    if (!existsSync(file)) return undefined;
    return Object.fromEntries(readFileSync(file, 'utf8').trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  }

  /** The runner's registration, here and on GitHub, and its systemd unit, after a boot. */
  public state(name = 'runners-0'): RunnerState {
    const key = join(this.runnerDir, '.credentials_rsaparams');
    return {
      localConfig: ['.credentials', '.credentials_rsaparams', '.runner'].filter((f) => existsSync(join(this.runnerDir, f))),
      githubRunners: readdirSync(join(this.githubDir, 'runners')),
      keyMatches: existsSync(key) && this.githubRunner(name)?.key === readFileSync(key, 'utf8').trim(),
      unitFiles: readdirSync(this.unitDir),
      enabled: [...new Set(this.logLines('enabled.log') ?? [])],
      lastStarted: this.logLines('started.log')?.pop(),
    };
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

  public writeExecutable(path: string, content: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    chmodSync(path, 0o755);
  }
}
