import { Distribution } from '../platform';
import { deepFreeze } from '../private/freeze';
import { shellQuote } from '../private/shell';
import { DockerSource } from '../spec/options';
import { ResolvedProxy, ResolvedSetup } from '../spec/resolved';

// The parts of the cloud-config that fit a runner into a company network: apt's sources and proxy,
// extra CAs, the Docker daemon's proxy and settings, and the proxy for login shells. The runner's own
// proxy variables go through the settings file into its .env (lib/guest/register-runner.sh).

/** Where the apt mirror's sources are written (cloud-init's apt module, sources.list.d). */
export const APT_MIRROR_SOURCES_FILE = 'runner-mirror.list';
/** Where a re-signing apt mirror's key is kept. */
export const APT_MIRROR_KEY_PATH = '/etc/apt/keyrings/runner-mirror.asc';
/** The distributions' default apt sources, which an apt mirror replaces (deb822 files of current images). */
export const DEFAULT_APT_SOURCES: readonly string[] = deepFreeze([
  '/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list.d/ubuntu.sources',
]);
/** The Docker daemon's proxy (a systemd drop-in: every Docker version reads it, daemon.json's `proxies` needs 23.0). */
export const DOCKER_PROXY_DROP_IN_PATH = '/etc/systemd/system/docker.service.d/http-proxy.conf';
/** The proxy for login shells that do not read /etc/environment. */
export const PROFILE_PROXY_PATH = '/etc/profile.d/runner-proxy.sh';
/** The system's trust store bundle, which update-ca-certificates writes (and the runner's node reads with NODE_EXTRA_CA_CERTS). */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** Docker's daemon settings. */
export const DOCKER_DAEMON_JSON_PATH = '/etc/docker/daemon.json';

const ARCHIVE_KEYRINGS: Readonly<Record<Distribution, string>> = {
  [Distribution.DEBIAN]: '/usr/share/keyrings/debian-archive-keyring.gpg',
  [Distribution.UBUNTU]: '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
};

/**
 * Docker from the distribution: `docker.io`, and on Ubuntu (22.04 and 24.04 alike) its buildx and
 * Compose v2 packages. Debian 12 has only Compose v1 (Python, end of life) and no buildx, and the
 * library cannot tell Debian 12 from 13 at synth time: add them with `extraPackages` on Debian 13.
 */
export const DISTRIBUTION_DOCKER_PACKAGES: Readonly<Record<Distribution, readonly string[]>> = deepFreeze({
  [Distribution.UBUNTU]: ['docker.io', 'docker-buildx', 'docker-compose-v2'],
  [Distribution.DEBIAN]: ['docker.io'],
});

/** A write_files entry. */
export interface WrittenFile {
  readonly path: string;
  readonly owner: string;
  readonly permissions: string;
  readonly content: string;
  readonly append?: boolean;
}

/**
 * The apt module's settings: the mirror's sources (the image's defaults are removed by
 * `removeDefaultAptSources`), the proxy, and the hosts apt reaches without it. `dockerSource` is
 * added by the caller. Undefined when there is nothing to say.
 */
export function aptConfig(setup: ResolvedSetup, installs: boolean): Record<string, unknown> | undefined {
  const mirror = installs ? setup.aptMirror : undefined;
  const proxy = setup.proxy;
  const config: Record<string, unknown> = {};
  if (mirror) {
    const keyring = mirror.signingKey ? APT_MIRROR_KEY_PATH : ARCHIVE_KEYRINGS[setup.distribution];
    const components = mirror.components.join(' ');
    const lines = mirror.suites.map((suite) => `deb [signed-by=${keyring}] ${mirror.url} ${suite} ${components}`);
    if (mirror.securityUrl) lines.push(`deb [signed-by=${keyring}] ${mirror.securityUrl} $RELEASE-security ${components}`);
    // preserve_sources_list: cloud-init must not write the default sources back (Debian's cloud
    // images regenerate their mirror lists, Ubuntu's their deb822 file, unless told so).
    config.preserve_sources_list = true;
    config.sources = { [APT_MIRROR_SOURCES_FILE]: { source: `${lines.join('\n')}\n` } };
  }
  if (proxy?.http) config.http_proxy = proxy.http;
  if (proxy?.https) config.https_proxy = proxy.https;
  // apt has no no_proxy; it takes "DIRECT" per host (exact names and addresses, not domains or CIDRs).
  const direct = (proxy?.noProxy ?? []).filter((entry) => !entry.startsWith('.') && !entry.includes('/') && !entry.includes(':'));
  if (proxy && direct.length > 0) {
    config.conf = direct.flatMap((host) => [
      ...(proxy.http ? [`Acquire::http::Proxy::${host} "DIRECT";`] : []),
      ...(proxy.https ? [`Acquire::https::Proxy::${host} "DIRECT";`] : []),
    ]).join('\n') + '\n';
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

/**
 * bootcmd (cloud-init's first module, before apt and packages) that removes the image's default apt
 * sources, so that apt reaches nothing but the mirror. Every boot; nothing brings them back.
 */
export function removeDefaultAptSources(): string[] {
  return ['sh', '-c', `rm -f ${DEFAULT_APT_SOURCES.join(' ')} && echo '# Replaced by the apt mirror in sources.list.d/${APT_MIRROR_SOURCES_FILE} (aptMirror)' > /etc/apt/sources.list`];
}

/** The files that put the guest behind the proxy and give apt the mirror's key. */
export function networkFiles(setup: ResolvedSetup, installs: boolean): WrittenFile[] {
  const files: WrittenFile[] = [];
  if (installs && setup.aptMirror?.signingKey) {
    files.push({ path: APT_MIRROR_KEY_PATH, owner: 'root:root', permissions: '0644', content: setup.aptMirror.signingKey.armored });
  }
  const daemon = setup.dockerDaemon;
  if (setup.docker && (daemon.registryMirrors.length > 0 || daemon.insecureRegistries.length > 0)) {
    const settings = {
      ...(daemon.registryMirrors.length > 0 ? { 'registry-mirrors': daemon.registryMirrors } : {}),
      ...(daemon.insecureRegistries.length > 0 ? { 'insecure-registries': daemon.insecureRegistries } : {}),
    };
    // Written before Docker is installed: its first start reads it.
    files.push({ path: DOCKER_DAEMON_JSON_PATH, owner: 'root:root', permissions: '0644', content: `${JSON.stringify(settings, undefined, 2)}\n` });
  }
  const proxy = setup.proxy;
  if (proxy) {
    const variables = proxyVariables(proxy);
    if (setup.docker) {
      // systemd reads '%' as a specifier: '%%' is a literal one.
      const assignments = variables.map(([name, value]) => `"${name}=${value.replace(/%/g, '%%')}"`).join(' ');
      files.push({
        path: DOCKER_PROXY_DROP_IN_PATH, owner: 'root:root', permissions: '0644',
        content: `# The proxy for the Docker daemon's pulls and pushes (RunnerSetupOptions.proxy).\n[Service]\nEnvironment=${assignments}\n`,
      });
    }
    // pam_env reads /etc/environment for logins, su and sudo; appended, the image's PATH stays.
    files.push({
      path: '/etc/environment', owner: 'root:root', permissions: '0644', append: true,
      content: variables.map(([name, value]) => `${name}="${value}"\n`).join(''),
    });
    files.push({
      path: PROFILE_PROXY_PATH, owner: 'root:root', permissions: '0644',
      content: `# The proxy (RunnerSetupOptions.proxy), for login shells.\n${variables.map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join('')}`,
    });
  }
  return files;
}

/**
 * The proxy's variables, lower case and upper case (curl reads only http_proxy in lower case, Go
 * programs and Docker the upper case).
 */
export function proxyVariables(proxy: ResolvedProxy): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (proxy.http) pairs.push(['http_proxy', proxy.http]);
  if (proxy.https) pairs.push(['https_proxy', proxy.https]);
  pairs.push(['no_proxy', proxy.noProxy.join(',')]);
  return pairs.flatMap(([name, value]) => [[name, value], [name.toUpperCase(), value]] as Array<[string, string]>);
}

/** The Docker packages for the setup's source and distribution. */
export function dockerPackages(setup: ResolvedSetup, dockerRepositoryPackages: readonly string[]): readonly string[] {
  return setup.dockerSource === DockerSource.DISTRIBUTION ? DISTRIBUTION_DOCKER_PACKAGES[setup.distribution] : dockerRepositoryPackages;
}
