import { GitHubScope, GitHubScopeKind } from '../github';
import { Distribution } from '../platform';
import { validateLabels, validateRunnerGroup } from '../private/github-rules';
import { at, Naming, propLabel } from '../private/naming';
import { validateAptSigningKey } from '../private/openpgp';
import { DEFAULT_TOKEN_KEY } from '../private/token-disk';
import { validateUrl } from '../private/url';
import { validateBoolean, validateBranded, validateEach, validateEnum, validateSecretKey } from '../private/validators';
import { MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM, RunnerRelease } from '../runner-release';
import { resolveAptMirror, resolveCaCertificates, resolveDockerDaemon, resolveKeyReference, resolveProxy } from './network';
import { DEFAULT_DOCKER_APT_BASE_URL, DockerSource, RunnerRegistrationOptions, RunnerSetupOptions } from './options';
import { ResolvedGuest, ResolvedRegistration, ResolvedSetup } from './resolved';

// Sub-resolvers: how the guest is set up and what a runner registers as.

/** Input of resolveSetup: the setup options plus what the caller knows of release and distribution. */
export interface SetupInput extends RunnerSetupOptions {
  readonly release?: RunnerRelease;
  readonly distribution?: Distribution;
}

/** Input of resolveGuest. */
export interface GuestInput extends SetupInput, RunnerRegistrationOptions {
  readonly automaticSecurityUpdates?: boolean;
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
// Accounts that Ubuntu and Debian cloud images (or packages the runner installs) already have.
const RESERVED_USERS = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy',
  'www-data', 'backup', 'list', 'irc', 'gnats', 'nobody', 'messagebus', 'syslog', 'sshd', 'polkitd', 'lxd',
  'ubuntu', 'debian', 'admin', 'docker', 'tss', 'uuidd', 'tcpdump', 'landscape', 'pollinate', 'fwupd-refresh', 'dnsmasq', 'usbmux']);
// Folders the runner keeps beside its work directory.
const RESERVED_WORK_DIRS = new Set(['.', 'bin', 'externals', '_diag']);
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$/;
// Not starting with '-': config.sh would take the value for an option.
const WORK_DIR = /^[A-Za-z0-9._][A-Za-z0-9._/-]*$/;
// The comment is free text, but only printable: PyYAML (cloud-init) rejects tabs in plain scalars
// and control characters, and reads U+0085, U+2028 and U+2029 as line breaks.
const SSH_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\p{Cc}\u2028\u2029]*)?$/u;

/** Validates how the guest is set up. */
export function resolveSetup(props: SetupInput, naming: Naming): ResolvedSetup {
  const release = validateRelease(naming, props.release);
  const installPackages = validateBoolean(naming, 'installPackages', props.installPackages, true);
  const aptOnly = (['extraPackages', 'upgradePackages', 'dockerApt', 'aptMirror', 'dockerSource'] as const)
    .filter((prop) => prop === 'extraPackages' ? props.extraPackages?.length : props[prop] !== undefined && props[prop] !== false);
  if (!installPackages && aptOnly.length > 0) {
    throw new Error(`${propLabel(naming, 'installPackages')} is false, so ${aptOnly.map((p) => `'${p}'`).join(', ')} would be ignored: remove them`);
  }
  const docker = validateBoolean(naming, 'docker', props.docker, true);
  const dockerOnly = (['dockerApt', 'dockerSource', 'dockerDaemon'] as const).filter((prop) => props[prop] !== undefined);
  if (!docker && dockerOnly.length > 0) {
    throw new Error(`${propLabel(naming, 'docker')} is false, so ${dockerOnly.map((p) => `'${p}'`).join(', ')} would be ignored: remove them`);
  }
  const dockerSource = validateEnum(...at(naming, 'dockerSource'), DockerSource, props.dockerSource ?? DockerSource.DOCKER_REPOSITORY);
  if (dockerSource === DockerSource.DISTRIBUTION && props.dockerApt !== undefined) {
    throw new Error(`${propLabel(naming, 'dockerApt')} configures Docker's repository, but 'dockerSource' is ${dockerSource}: remove one`);
  }
  const distribution = validateEnum(...at(naming, 'distribution'), Distribution, props.distribution ?? Distribution.UBUNTU);
  const proxy = resolveProxy(naming, props.proxy);
  const caCertificatesFrom = resolveKeyReference(naming, 'caCertificatesFrom', props.caCertificatesFrom);
  const aptMirror = resolveAptMirror(naming, props.aptMirror, distribution);
  return Object.freeze({
    release,
    distribution,
    user: validateUser(naming, props.user ?? 'actions-runner'),
    passwordlessSudo: validateBoolean(naming, 'passwordlessSudo', props.passwordlessSudo, true),
    docker,
    installPackages,
    dockerAptBaseUrl: validateUrl(...at(naming, 'dockerApt.repositoryBaseUrl'), props.dockerApt?.repositoryBaseUrl ?? DEFAULT_DOCKER_APT_BASE_URL,
      { protocols: ['https:', 'http:'], base: true }).text,
    extraPackages: validateEach(naming, 'extraPackages', props.extraPackages, PACKAGE, 'a Debian package name (optionally =version)'),
    upgradePackages: validateBoolean(naming, 'upgradePackages', props.upgradePackages, false),
    sshAuthorizedKeys: validateEach(naming, 'sshAuthorizedKeys', props.sshAuthorizedKeys, SSH_KEY,
      "one OpenSSH public key line ('ssh-ed25519 AAAA... comment')"),
    ...(proxy ? { proxy } : {}),
    caCertificates: resolveCaCertificates(naming, props.caCertificates),
    ...(caCertificatesFrom ? { caCertificatesFrom } : {}),
    ...(aptMirror ? { aptMirror } : {}),
    dockerSource,
    ...(props.dockerApt?.signingKey !== undefined
      ? { dockerAptSigningKey: validateAptSigningKey(...at(naming, 'dockerApt.signingKey'), props.dockerApt.signingKey) } : {}),
    dockerDaemon: resolveDockerDaemon(naming, props.dockerDaemon),
  });
}

/** Validates what a long-lived runner registers as; `release` has been resolved already. */
export function resolveRegistration(props: RunnerRegistrationOptions, naming: Naming, release: RunnerRelease): ResolvedRegistration {
  const scope = GitHubScope.fromUrl(props.url, ...at(naming, 'url'));
  if (scope.isGitHubDotCom && release.isOlderThan(MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM)) {
    throw new Error(`${propLabel(naming, 'release')} is runner ${release.version}, but github.com refuses to register runners older `
      + `than ${MINIMUM_RUNNER_VERSION_FOR_GITHUB_COM}`);
  }
  const runnerLabels = validateLabels(...at(naming, 'runnerLabels'), props.runnerLabels ?? []);
  const noDefaultLabels = validateBoolean(naming, 'noDefaultLabels', props.noDefaultLabels, false);
  if (noDefaultLabels && runnerLabels.length === 0) {
    throw new Error(`${propLabel(naming, 'noDefaultLabels')} needs at least one entry in '${at(naming, 'runnerLabels')[1]}': `
      + 'a runner without labels cannot be targeted');
  }
  return Object.freeze({
    scope,
    runnerLabels: Object.freeze(runnerLabels),
    runnerGroup: resolveRunnerGroup(props.runnerGroup, scope, naming),
    noDefaultLabels,
    ephemeral: validateBoolean(naming, 'ephemeral', props.ephemeral, false),
    disableUpdate: validateBoolean(naming, 'disableUpdate', props.disableUpdate, false),
    workDir: validateWorkDir(naming, props.workDir ?? '_work'),
    tokenKey: validateSecretKey(naming, 'tokenSecretKey', props.tokenSecretKey ?? DEFAULT_TOKEN_KEY),
  });
}

/** Validates a long-lived runner's guest: its setup, then its registration. */
export function resolveGuest(props: GuestInput, naming: Naming): ResolvedGuest {
  const setup = resolveSetup(props, naming);
  return Object.freeze({
    ...setup,
    ...resolveRegistration(props, naming, setup.release),
    automaticSecurityUpdates: validateBoolean(naming, 'automaticSecurityUpdates', props.automaticSecurityUpdates, true),
  });
}

/** Validates a runner group: only organizations and enterprises have runner groups. */
export function resolveRunnerGroup(group: string | undefined, scope: GitHubScope, naming: Naming): string | undefined {
  if (group === undefined) return undefined;
  validateRunnerGroup(...at(naming, 'runnerGroup'), group);
  // The runner only asks for a group where there are groups: organizations and enterprises.
  if (scope.kind === GitHubScopeKind.REPOSITORY) {
    throw new Error(`${propLabel(naming, 'runnerGroup')} ${JSON.stringify(group)} needs an organization or enterprise URL; `
      + `repository runners have no groups (url ${scope.url})`);
  }
  return group;
}

function validateUser(naming: Naming, user: string): string {
  if (typeof user !== 'string' || !USER.test(user) || user.startsWith('systemd-') || user.startsWith('_') || RESERVED_USERS.has(user)) {
    throw new Error(`${propLabel(naming, 'user')} must be a new Linux user name ([a-z_][a-z0-9_-]*, at most 32, not an account `
      + `the image already has such as root, nobody or ubuntu), got ${JSON.stringify(user)}`);
  }
  return user;
}

function validateWorkDir(naming: Naming, workDir: string): string {
  if (typeof workDir !== 'string' || !WORK_DIR.test(workDir) || workDir.split('/').includes('..') || RESERVED_WORK_DIRS.has(workDir.split('/')[0])) {
    throw new Error(`${propLabel(naming, 'workDir')} must be a relative path of [A-Za-z0-9._/-] inside the runner's folder, not starting with '-', without '..' `
      + `and not '.', 'bin', 'externals' or '_diag', got ${JSON.stringify(workDir)}`);
  }
  return workDir;
}

/** The runner release of a `release` prop: a RunnerRelease, the newest known one when unset. */
export function validateRelease(naming: Naming, release: RunnerRelease | undefined): RunnerRelease {
  return validateBranded<RunnerRelease>(naming, 'release', release ?? RunnerRelease.latestKnown(), 'RunnerRelease', "RunnerRelease.of('2.334.0')");
}
