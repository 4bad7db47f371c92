import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { CloudConfigSchema, cloudInitCliProblem } from './cloud-config';
import { Finding, ManifestObject, objectLabel } from './finding';
import { checkFleet, FleetCheckOptions, userDataOf } from './fleet-checks';
import { arrayAt } from './manifest-values';
import { KubernetesSchemas } from './kubernetes-schemas';
import { constructMetadataHint } from './output-folder';
import { SHIPPED_SCHEMA_DIR } from './schema-dir';

export * from './cloud-config';
export * from './finding';
export * from './fleet-checks';
export * from './fleet-summary';
export * from './kubernetes-schemas';
export * from './schema-dir';

/** Options of validateManifests. */
export interface ValidateOptions extends FleetCheckOptions {
  /** A schemas folder in the layout `npm run schemas` writes (see findSchemaDir). @default - the schemas shipped with the library */
  readonly schemaDir?: string;
  /** Also run `cloud-init schema --config-file` on every cloud-config (needs the cloud-init package). @default false */
  readonly cloudInitCli?: boolean;
}

/** What validation looked at and found. */
export interface ValidationResult {
  /** How many files were read. */
  readonly files: number;
  /** How many objects they held. */
  readonly objects: number;
  /** Every problem found; empty when all is valid. */
  readonly findings: Finding[];
}

/** Reads every object of the given YAML/JSON files, and of the *.yaml, *.yml, *.json files in given folders; a file's YAML syntax errors are findings. */
export function readManifests(paths: readonly string[]): { files: string[]; items: ManifestObject[]; findings: Finding[] } {
  const files = paths.flatMap((path) => statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(path, f))
    : [path]);
  const items: ManifestObject[] = [];
  const findings: Finding[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const objects = readFast(text);
    const hint = objects && constructMetadataHint(file, objects);
    if (hint) {
      findings.push({ file, object: '-', path: '', message: hint });
      continue;
    }
    if (objects) {
      for (const object of objects) if (object !== null && object !== undefined) items.push({ file, object });
      continue;
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) {
        findings.push({ file, object: '-', path: '', message: `not valid YAML: ${doc.errors[0].message}` });
        continue;
      }
      const object = doc.toJS();
      if (object !== null && object !== undefined) items.push({ file, object });
    }
  }
  return { files, items, findings };
}

/**
 * The documents of a well-formed YAML 1.2 file, read with js-yaml's core schema (the `yaml`
 * package's default schema, so the same values), which reads a synthesized fleet 13 times faster
 * than the `yaml` package. Undefined when the file needs the `yaml` package: a syntax error (js-yaml
 * stops at the first; the `yaml` package reports each document's own) or a %YAML directive.
 */
function readFast(text: string): unknown[] | undefined {
  if (/^%YAML/m.test(text)) return undefined;
  try {
    return loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
}

/**
 * Validates objects: each against its JSON schema, the fleet's cross-object rules, and every
 * cloud-config (in Secrets and inline) against cloud-init's schema.
 */
export function validateObjects(items: readonly ManifestObject[], options: ValidateOptions = {}): Finding[] {
  const { schemas, cloudConfig } = compiledSchemas(options.schemaDir ?? SHIPPED_SCHEMA_DIR);
  const findings: Finding[] = [];
  for (const item of items) {
    findings.push(...schemas.validate(item));
    for (const [path, userData] of cloudConfigsOf(item.object)) {
      const report = (at: string, message: string) => findings.push({ file: item.file, object: objectLabel(item.object), path: at, message });
      for (const problem of cloudConfig.validate(userData)) report(`${path}#${problem.path}`, problem.message);
      if (options.cloudInitCli) {
        const problem = cloudInitCliProblem(userData);
        if (problem) report(path, problem);
      }
    }
  }
  findings.push(...checkFleet(items, options));
  return findings;
}

/** Reads and validates manifest files. */
export function validateManifests(paths: readonly string[], options: ValidateOptions = {}): ValidationResult {
  const { files, items, findings } = readManifests(paths);
  return { files: files.length, objects: items.length, findings: [...findings, ...validateObjects(items, options)] };
}

// Compiling the schemas takes most of a validation's time; keep them per folder for the process.
const compiled = new Map<string, { schemas: KubernetesSchemas; cloudConfig: CloudConfigSchema }>();
function compiledSchemas(schemaDir: string) {
  if (!compiled.has(schemaDir)) {
    compiled.set(schemaDir, { schemas: new KubernetesSchemas(schemaDir), cloudConfig: new CloudConfigSchema(schemaDir) });
  }
  return compiled.get(schemaDir)!;
}

/** Cloud-configs carried by an object: user-data in a Secret, or inline in a VM's cloud-init volumes. */
function cloudConfigsOf(object: any): Array<[string, string]> {
  if (object?.apiVersion === 'v1' && object?.kind === 'Secret') return userDataOf(object);
  if (object?.kind !== 'VirtualMachine') return [];
  const result: Array<[string, string]> = [];
  arrayAt(object.spec?.template?.spec?.volumes).forEach((volume: any, i: number) => {
    for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
      const inline = volume?.[source]?.userData;
      if (typeof inline === 'string' && inline.startsWith('#cloud-config')) {
        result.push([`/spec/template/spec/volumes/${i}/${source}/userData`, inline]);
      }
    }
  });
  return result;
}
