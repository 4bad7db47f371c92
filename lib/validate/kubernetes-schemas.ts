import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { _, ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { compileCached, defaultCacheDir } from './compiled-schema';
import { Finding, ManifestObject, objectLabel } from './finding';
import { SCHEMA_INDEX_FILE, SHIPPED_SCHEMA_DIR } from './schema-dir';

// kubeconform's rules: no strict types, the Kubernetes extensions known as (inert) vocabulary.
const AJV_OPTIONS = { allErrors: true, strictTypes: false, strictTuples: false, validateSchema: false };
const VOCABULARY = [
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-validations', 'x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key',
  'x-kubernetes-group-version-kind', 'x-kubernetes-unions', 'x-kubernetes-embedded-resource',
];
// Everything that shapes the compiled code is part of the cache key.
const RECIPE = `kubernetes ${JSON.stringify(AJV_OPTIONS)} ${VOCABULARY.join(',')}`;

/**
 * Validates Kubernetes objects against JSON schemas the way kubeconform does: ajv with strict
 * types off, the `x-kubernetes-*` extensions known as vocabulary, and ajv-formats. The schemas
 * folder's `kinds.json` says which kinds have a schema; theirs are closed (additionalProperties:
 * false), so a misspelt field is an error. A kind with no schema is reported.
 */
export class KubernetesSchemas {
  private readonly ajv: Ajv;
  private readonly files: Partial<Record<string, string>>;
  private readonly compiled = new Map<string, ValidateFunction | undefined>();

  constructor(private readonly schemaDir = SHIPPED_SCHEMA_DIR, private readonly cacheDir = defaultCacheDir()) {
    this.ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` } });
    addFormats(this.ajv);
    this.ajv.addVocabulary(VOCABULARY);
    this.files = readIndex(schemaDir);
  }

  /** Schema errors of one object; `[]` when it is valid. */
  public validate(item: ManifestObject): Finding[] {
    const { file, object } = item;
    const label = objectLabel(object);
    if (typeof object?.apiVersion !== 'string' || typeof object?.kind !== 'string') {
      return [{ file, object: label, path: '', message: 'not a Kubernetes object: apiVersion and kind are required' }];
    }
    const validate = this.validatorFor(object.apiVersion, object.kind);
    if (!validate) {
      return [{ file, object: label, path: '', message: `unknown kind: no schema for ${object.kind} in ${object.apiVersion}` }];
    }
    if (validate(object)) return [];
    return (validate.errors ?? []).map((error) => ({ file, object: label, path: error.instancePath, message: describe(error) }));
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${apiVersion} ${kind}`;
    if (!this.compiled.has(key)) {
      const file = this.files[key];
      this.compiled.set(key, file === undefined ? undefined : this.compile(file));
    }
    return this.compiled.get(key);
  }

  private compile(file: string): ValidateFunction {
    const text = readFileSync(join(this.schemaDir, file), 'utf8');
    return compileCached(this.ajv, JSON.parse(text), text, RECIPE, this.cacheDir);
  }
}

/** The folder's index: "apiVersion Kind" -> schema file, relative to the folder. */
function readIndex(schemaDir: string): Record<string, string> {
  const file = join(schemaDir, SCHEMA_INDEX_FILE);
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`schemas index ${file} cannot be read: ${(e as Error).message}`);
  }
  if (typeof index !== 'object' || index === null || Array.isArray(index) || !Object.values(index).every((v) => typeof v === 'string')) {
    throw new Error(`schemas index ${file} must map "apiVersion Kind" to a schema file, got ${JSON.stringify(index).slice(0, 100)}`);
  }
  return index as Record<string, string>;
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `unknown field '${error.params.additionalProperty}'`;
  if (error.keyword === 'enum') return `${error.message}: ${JSON.stringify(error.params.allowedValues)}`;
  return error.message ?? error.keyword;
}
