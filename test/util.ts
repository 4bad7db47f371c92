import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';

/** A synthesized Kubernetes object, as plain JSON. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

export function synth(chart: Chart): K8sObject[] {
  return Testing.synth(chart) as K8sObject[];
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The cloud-config inside a cloud-init Secret, parsed. */
export function cloudConfigOf(secret: K8sObject): any {
  const userData: string = secret.stringData.userdata;
  expect(userData.startsWith('#cloud-config\n')).toBe(true);
  return parse(userData);
}

/** The content of a write_files entry of a cloud-config. */
export function writtenFile(cloudConfig: any, path: string): string {
  const entry = cloudConfig.write_files.find((f: any) => f.path === path);
  if (!entry) throw new Error(`no write_files entry for ${path}`);
  return entry.content;
}

/** Sources an env file with bash and returns the variables it assigns, as bash sees them. */
export function sourceEnvFile(content: string): Record<string, string> {
  const names = [...content.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]);
  const script = `set -eu\neval "$ENV_CONTENT"\nfor n in ${names.join(' ')}; do printf '%s\\0%s\\0' "$n" "\${!n}"; done`;
  const out = execFileSync('bash', ['-c', script], { env: { PATH: process.env.PATH, ENV_CONTENT: content }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const parts = out.split('\0');
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) result[parts[i]] = parts[i + 1];
  return result;
}

/** ../shared beside the repository, when present (schemas, data). */
export const SHARED_DIR = join(__dirname, '..', '..', 'shared');
export const hasShared = existsSync(SHARED_DIR);

/** ../shared/schemas, the source of lib/validate/schemas (npm run schemas); absent on a machine without ../shared. */
export const SHARED_SCHEMAS_DIR = join(SHARED_DIR, 'schemas');
export const hasSharedSchemas = existsSync(SHARED_SCHEMAS_DIR);

/**
 * `test` when `available`, else a skip whose name says what to install; in CI (CI=true) a missing
 * tool or schema fails instead of skipping. `.each` works on all three.
 */
export function testIf(available: boolean, missing: string): jest.It {
  if (available) return test;
  const define = process.env.CI
    ? (name: string) => test(name, () => {
      throw new Error(`${missing} is missing in CI: .ci/run must install it`);
    })
    : (name: string) => test.skip(`${name} [skipped: ${missing} is not available here]`, () => undefined);
  const replacement = (name: string) => define(name);
  replacement.each = (table: readonly unknown[]) => (name: string) => table.forEach((_, i) => define(`${name} #${i}`));
  return replacement as unknown as jest.It;
}

/**
 * A throw-away copy of this project (the given top-level entries) with node_modules linked from
 * the real one: for tests that run npm scripts or git the way a user would.
 */
export function copyProject(prefix: string, entries: readonly string[]): string {
  const root = join(__dirname, '..');
  const project = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of entries) cpSync(join(root, entry), join(project, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'));
  return project;
}

/**
 * A python3 with PyYAML, the YAML reader cloud-init uses: the one on PATH, or Debian's (package
 * python3-yaml) when PATH leads to another Python first.
 */
const PYTHON_WITH_YAML = ['python3', '/usr/bin/python3'].find((python) => spawnSync(python, ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0);
export const hasPyYaml = PYTHON_WITH_YAML !== undefined;

/** What PyYAML's safe_load (cloud-init's reader) makes of a YAML text, as JSON-compatible data; dates become ISO strings. */
export function pyYamlLoad(text: string): unknown {
  const script = 'import sys, json, yaml, datetime\n'
    + 'print(json.dumps(yaml.safe_load(sys.stdin.read()), default=lambda o: o.isoformat() if isinstance(o, (datetime.date, datetime.datetime)) else str(o)))';
  return JSON.parse(execFileSync(PYTHON_WITH_YAML!, ['-c', script], { input: text, encoding: 'utf8' }));
}
