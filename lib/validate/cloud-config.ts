import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// `_` must come from the same ajv code generator that compiles the schema, here ajv-draft-04's:
// under tsx's namespaced require (the cdk8s plugin) a second copy's `_` is quoted as a string.
import Ajv, { _, ErrorObject, KeywordCxt, ValidateFunction } from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { parseDocument } from 'yaml';
import type { CloudConfigProblem } from './cloud-config-problem';
import { readCloudConfig } from './cloud-init-yaml';
import { guestFileProblems } from './guest-files';
import { compileCached, defaultCacheDir } from './compiled-schema';
import { SHIPPED_SCHEMA_DIR } from './schema-dir';

export type { CloudConfigProblem } from './cloud-config-problem';

// cloud-init 26.2's schema, in the schemas folder's layout (see schemas/SOURCES.md).
const SCHEMA_FILE = 'cloud-init/schema-cloud-config-v1.json';

const AJV_OPTIONS = { allErrors: true, strict: false, validateSchema: false };

// cloud-init flags deprecated keys in the schema itself; using one is a boot-time warning.
const DEPRECATED_KEYWORD = {
  keyword: 'deprecated',
  schemaType: 'boolean' as const,
  code(cxt: KeywordCxt) {
    if (cxt.schema === true) cxt.fail(_`true`);
  },
};

/**
 * Validates cloud-config user-data as cloud-init reads it (YAML 1.1, with PyYAML's types) against
 * cloud-init's own JSON schema (26.2, draft-04): the `#cloud-config` header, YAML that PyYAML refuses
 * or reads differently from YAML 1.2 (tabs, control characters, `on`/`no`/`yes`, dates, octal
 * numbers), unknown or misspelt keys (the schema is closed at the root), wrong types, keys
 * cloud-init marks deprecated, which it would warn about at boot, and files and apt settings their
 * readers in the guest would refuse (guest-files.ts: daemon.json, systemd drop-ins, apt sources and
 * keys, /etc/environment, CA certificates).
 */
export class CloudConfigSchema {
  private readonly validateFn: ValidateFunction;

  constructor(schemaDir = SHIPPED_SCHEMA_DIR, cacheDir = defaultCacheDir()) {
    const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` } });
    addFormats(ajv);
    ajv.addKeyword(DEPRECATED_KEYWORD);
    const text = readFileSync(join(schemaDir, SCHEMA_FILE), 'utf8');
    // Everything that shapes the compiled code is part of the cache key.
    const recipe = `cloud-config ${JSON.stringify(AJV_OPTIONS)} ${DEPRECATED_KEYWORD.code.toString()}`;
    this.validateFn = compileCached(ajv, JSON.parse(text), text, recipe, cacheDir);
  }

  public validate(userData: string): CloudConfigProblem[] {
    if (!userData.startsWith('#cloud-config\n')) {
      return [{ path: '', message: "user-data does not start with '#cloud-config' (cloud-init would not read it as a cloud-config)" }];
    }
    const { config, problems } = readCloudConfig(userData);
    if (config === undefined) return [...problems];
    const schemaProblems = this.validateFn(config) ? [] : dedupe((this.validateFn.errors ?? []).map(describe));
    return [...problems, ...schemaProblems, ...guestFileProblems(config)];
  }
}

function describe(error: ErrorObject): CloudConfigProblem {
  if (error.keyword === 'additionalProperties') {
    return { path: error.instancePath, message: `unknown cloud-config key '${error.params.additionalProperty}'` };
  }
  if (error.keyword === 'deprecated') return { path: error.instancePath, message: 'deprecated in cloud-init' };
  return { path: error.instancePath, message: error.message ?? error.keyword };
}

// oneOf/anyOf branches repeat the same complaint; one line each is enough.
function dedupe(problems: CloudConfigProblem[]): CloudConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path} ${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether the `cloud-init` command (Debian package cloud-init) is installed here. */
export function hasCloudInitCli(): boolean {
  return spawnSync('cloud-init', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs `cloud-init schema --config-file` on the user-data: the installed cloud-init's own verdict,
 * including checks the JSON schema cannot express; then, where python3 has PyYAML (cloud-init's
 * Debian package depends on it), pyyamlProblem. Returns the first complaint, or undefined when both pass.
 */
export function cloudInitCliProblem(userData: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-config-'));
  try {
    const file = join(dir, 'user-data');
    writeFileSync(file, userData);
    const result = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`.trim();
    if (result.status !== 0 || /deprecat|warning/i.test(output)) {
      return `cloud-init schema --config-file failed: ${output.replace(new RegExp(file, 'g'), 'user-data')}`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // cloud-init reads user-data with PyYAML: with cloud-init comes python3-yaml (a dependency of the
  // Debian package), and its verdict.
  return hasPyYaml() ? pyyamlProblem(userData) : undefined;
}

let pyyamlInstalled: boolean | undefined;

/** Whether `python3` here can `import yaml` (Debian package python3-yaml, which cloud-init depends on). */
export function hasPyYaml(): boolean {
  pyyamlInstalled ??= spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;
  return pyyamlInstalled;
}

// Loads stdin with yaml.safe_load, as cloud-init does, and prints it as JSON; what JSON cannot say
// (dates, binary, NaN, keys that are not strings) is written as an object or key starting with NUL,
// which no YAML 1.2 reading produces, so that it compares as a difference.
const PYYAML_SCRIPT = `
import base64, datetime, json, math, sys, yaml
def norm(v):
    if isinstance(v, dict): return {(k if isinstance(k, str) else '\\0' + repr(k)): norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [norm(x) for x in v]
    if isinstance(v, set): return [norm(x) for x in sorted(v, key=repr)]
    if isinstance(v, (datetime.date, datetime.datetime)): return {'\\0' + type(v).__name__: v.isoformat()}
    if isinstance(v, bytes): return {'\\0binary': base64.b64encode(v).decode()}
    if isinstance(v, float) and not math.isfinite(v): return {'\\0float': repr(v)}
    return v
try:
    data = yaml.safe_load(sys.stdin.buffer.read().decode('utf-8'))
except yaml.YAMLError as e:
    print(json.dumps({'error': str(e)}))
else:
    print(json.dumps({'value': norm(data)}))
`;

/**
 * Loads the user-data with the installed PyYAML (`yaml.safe_load`, as cloud-init does) and compares
 * what it reads with the YAML 1.2 reading. Returns PyYAML's error or the first differences, or
 * undefined when both read the same.
 */
export function pyyamlProblem(userData: string): string | undefined {
  const result = spawnSync('python3', ['-c', PYYAML_SCRIPT], { input: userData, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) return `python3 with PyYAML failed: ${`${result.stderr}`.trim().split('\n').pop()}`;
  const output = JSON.parse(result.stdout);
  if (output.error !== undefined) return `PyYAML (yaml.safe_load, as cloud-init) refuses the user-data: ${String(output.error).replace(/\s+/g, ' ')}`;
  const differences: string[] = [];
  compareJson(output.value, parseDocument(userData).toJS(), '', differences);
  return differences.length > 0 ? `PyYAML (yaml.safe_load, as cloud-init) reads the user-data differently from YAML 1.2: ${differences.join('; ')}` : undefined;
}

const MAX_DIFFERENCES = 5;
const TAGS = ['\0date', '\0datetime', '\0binary', '\0float'];

function compareJson(pyyaml: any, yaml12: any, path: string, out: string[]): void {
  if (out.length >= MAX_DIFFERENCES) return;
  const isMap = (v: any) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const tagged = (v: any) => isMap(v) && Object.keys(v).length === 1 && TAGS.includes(Object.keys(v)[0]);
  if (isMap(pyyaml) && !tagged(pyyaml) && isMap(yaml12)) {
    for (const [key, value] of Object.entries(yaml12)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!(key in pyyaml)) out.push(`${at}: the key is not the string ${JSON.stringify(key)} for PyYAML`);
      else compareJson(pyyaml[key], value, at, out);
    }
  } else if (Array.isArray(pyyaml) && Array.isArray(yaml12) && pyyaml.length === yaml12.length) {
    yaml12.forEach((value, i) => compareJson(pyyaml[i], value, `${path}/${i}`, out));
  } else if (JSON.stringify(pyyaml) !== JSON.stringify(yaml12)) {
    out.push(`${path || '/'}: ${JSON.stringify(pyyaml).replace(/\\u0000/g, '!!')} instead of ${JSON.stringify(yaml12)}`);
  }
}
