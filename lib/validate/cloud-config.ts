import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// `_` must come from the same ajv code generator that compiles the schema, here ajv-draft-04's:
// under tsx's namespaced require (the cdk8s plugin) a second copy's `_` is quoted as a string.
import Ajv, { _, ErrorObject, KeywordCxt, ValidateFunction } from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { compileCached, defaultCacheDir } from './compiled-schema';
import { SHIPPED_SCHEMA_DIR } from './schema-dir';
import { parse } from 'yaml';

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

/** A problem in a cloud-config, with its JSON path. */
export interface CloudConfigProblem {
  /** JSON path inside the cloud-config. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}

/**
 * Validates cloud-config user-data against cloud-init's own JSON schema (26.2, draft-04): the
 * `#cloud-config` header, unknown or misspelt keys (the schema is closed at the root), wrong types,
 * and keys cloud-init marks deprecated, which it would warn about at boot.
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
    let config: unknown;
    try {
      config = parse(userData);
    } catch (e) {
      return [{ path: '', message: `user-data is not valid YAML: ${(e as Error).message}` }];
    }
    if (this.validateFn(config)) return [];
    return dedupe((this.validateFn.errors ?? []).map(describe));
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
 * including checks the JSON schema cannot express. Returns its complaint, or undefined when it passes.
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
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
