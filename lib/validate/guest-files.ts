import { X509Certificate } from 'node:crypto';
import { openPgpFingerprints } from '../private/openpgp';
import type { CloudConfigProblem } from './cloud-config-problem';

// What cloud-init's schema cannot say about a cloud-config: whether the files it writes and the
// apt settings it holds are well-formed for the programs that read them in the guest (dockerd,
// systemd, apt, pam_env, OpenSSL). A file dockerd or systemd cannot read fails at boot, far from here.

const APT_SOURCE_LINE = /^deb(?:-src)? (?:\[[^\]\n]+\] )?(?:https?|file|mirror\+file):\/\/\S+ \S+(?: \S+)*$/;
const SYSTEMD_LINE = /^(?:[#;].*|\[[A-Za-z]+\]|[A-Za-z][A-Za-z0-9]*=.*|)$/;
// Environment= takes space-separated assignments; here each one double-quoted.
const SYSTEMD_ENVIRONMENT = /^Environment=(?:"[A-Za-z_][A-Za-z0-9_]*=[^"\\]*"(?: |$))+$/;
const ENVIRONMENT_LINE = /^(?:#.*|[A-Za-z_][A-Za-z0-9_]*="[^"\\\n]*"|)$/;

/** The guest files and apt settings of a parsed cloud-config that their readers would refuse. */
export function guestFileProblems(config: unknown): CloudConfigProblem[] {
  if (typeof config !== 'object' || config === null) return [];
  const problems: CloudConfigProblem[] = [];
  const c = config as Record<string, any>;
  const files: any[] = Array.isArray(c.write_files) ? c.write_files : [];
  files.forEach((file, i) => {
    if (typeof file?.path !== 'string' || typeof file.content !== 'string') return;
    const at = `/write_files/${i}/content`;
    for (const message of fileProblems(file.path, file.content)) problems.push({ path: at, message: `${file.path}: ${message}` });
  });
  const written = new Set(files.map((f) => f?.path));
  const sources = c.apt?.sources;
  if (typeof sources === 'object' && sources !== null) {
    for (const [name, entry] of Object.entries<any>(sources)) {
      if (typeof entry?.source !== 'string') continue;
      for (const line of entry.source.split('\n').filter((l: string) => l.trim() !== '')) {
        const at = `/apt/sources/${name.replace(/~/g, '~0').replace(/\//g, '~1')}/source`;
        if (!APT_SOURCE_LINE.test(line)) problems.push({ path: at, message: `not an apt source line (deb [options] URI SUITE [COMPONENT...]): ${JSON.stringify(line)}` });
        const keyring = /signed-by=([^ \]]+)/.exec(line)?.[1];
        if (keyring && !keyring.startsWith('/usr/share/keyrings/') && !written.has(keyring)) {
          problems.push({ path: at, message: `the keyring ${keyring} is neither written by this cloud-config nor a distribution keyring (/usr/share/keyrings)` });
        }
      }
    }
  }
  for (const name of ['http_proxy', 'https_proxy', 'proxy']) {
    const value = c.apt?.[name];
    if (typeof value === 'string' && /^[a-z]+:\/\/[^/]*@/i.test(value)) problems.push({ path: `/apt/${name}`, message: 'the proxy URL holds credentials' });
  }
  const trusted = c.ca_certs?.trusted;
  if (Array.isArray(trusted)) {
    trusted.forEach((pem, i) => {
      try {
        new X509Certificate(String(pem));
      } catch (error) {
        problems.push({ path: `/ca_certs/trusted/${i}`, message: `not a PEM certificate OpenSSL can read: ${(error as Error).message}` });
      }
    });
  }
  return problems;
}

function fileProblems(path: string, content: string): string[] {
  if (path === '/etc/docker/daemon.json') return daemonJsonProblems(content);
  if (/^\/etc\/systemd\/system\/[^/]+(\.d\/[^/]+\.conf|\.(service|mount|target|timer))$/.test(path)) return unitProblems(content);
  if (/^\/etc\/apt\/keyrings\/[^/]+\.asc$/.test(path)) {
    try {
      return openPgpFingerprints(content).length > 0 ? [] : ['the armored block holds no public key'];
    } catch (error) {
      return [`not an armored OpenPGP key apt can read: ${(error as Error).message}`];
    }
  }
  if (path === '/etc/environment') {
    const bad = content.split('\n').find((line) => !ENVIRONMENT_LINE.test(line));
    return bad === undefined ? [] : [`pam_env reads NAME="value" lines, not ${JSON.stringify(bad)}`];
  }
  return [];
}

function daemonJsonProblems(content: string): string[] {
  let settings: unknown;
  try {
    settings = JSON.parse(content);
  } catch (error) {
    return [`dockerd cannot parse it: ${(error as Error).message}`];
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return ['dockerd expects a JSON object'];
  const problems: string[] = [];
  const s = settings as Record<string, unknown>;
  for (const key of ['registry-mirrors', 'insecure-registries']) {
    if (s[key] !== undefined && (!Array.isArray(s[key]) || !(s[key] as unknown[]).every((v) => typeof v === 'string'))) {
      problems.push(`"${key}" must be an array of strings`);
    }
  }
  for (const mirror of (Array.isArray(s['registry-mirrors']) ? s['registry-mirrors'] : []) as string[]) {
    if (!/^https?:\/\/[^/@\s]+(\/\S*)?$/.test(mirror)) problems.push(`registry mirror ${JSON.stringify(mirror)} is not an http(s) URL without credentials`);
  }
  return problems;
}

function unitProblems(content: string): string[] {
  const lines = content.split('\n');
  const problems: string[] = [];
  const firstDirective = lines.find((line) => line !== '' && !/^[#;]/.test(line));
  if (firstDirective !== undefined && !/^\[[A-Za-z]+\]$/.test(firstDirective)) problems.push(`a directive before any [Section]: ${JSON.stringify(firstDirective)}`);
  for (const line of lines) {
    if (!SYSTEMD_LINE.test(line)) problems.push(`not a systemd unit line: ${JSON.stringify(line)}`);
    else if (line.startsWith('Environment=') && !SYSTEMD_ENVIRONMENT.test(line)) problems.push(`Environment= must be "NAME=value" words: ${JSON.stringify(line)}`);
    // '%' starts a specifier: a literal one is '%%'.
    else if (!/^[#;]/.test(line) && /%(?!%)/.test(line.replace(/%%/g, ''))) problems.push(`a lone '%' is a systemd specifier: ${JSON.stringify(line)}`);
  }
  return problems;
}
