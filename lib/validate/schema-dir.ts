import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Environment variable that points at a schemas folder to use instead of the shipped one. */
export const SCHEMAS_ENV = 'KUBEVIRT_RUNNERS_SCHEMAS';

/** The index every schemas folder has: "apiVersion Kind" -> schema file, relative to the folder. */
export const SCHEMA_INDEX_FILE = 'kinds.json';

/**
 * The schemas shipped with the library (made by `npm run schemas`): the `schemas` folder beside the
 * validator's code, in the TypeScript sources and in the compiled package alike (the build copies it).
 */
export const SHIPPED_SCHEMA_DIR = join(__dirname, 'schemas');

/**
 * Where a schemas folder came from: `explicit` (`--schemas DIR`, the cdk8s plugin's `schemas`
 * property), `environment` ($KUBEVIRT_RUNNERS_SCHEMAS) or `shipped` (the library's own).
 */
export type SchemaDirOrigin = 'explicit' | 'environment' | 'shipped';

/** The schemas folder looked at, and whether it is one. */
export interface SchemaDirResult {
  /** The folder, when it holds schemas (a `kinds.json` index). @default - not a schemas folder */
  readonly dir?: string;
  /** The folder looked at. */
  readonly path: string;
  /** Where that folder came from. */
  readonly origin: SchemaDirOrigin;
}

/**
 * Picks the schemas folder: an explicit one (`--schemas DIR`), else $KUBEVIRT_RUNNERS_SCHEMAS, else
 * the schemas shipped with the library, so that validation needs no configuration.
 */
export function findSchemaDir(explicit?: string, cwd = process.cwd()): SchemaDirResult {
  const env = process.env[SCHEMAS_ENV];
  const [path, origin]: [string, SchemaDirOrigin] = explicit !== undefined ? [resolve(cwd, explicit), 'explicit']
    : env ? [resolve(cwd, env), 'environment']
      : [SHIPPED_SCHEMA_DIR, 'shipped'];
  return { dir: existsSync(join(path, SCHEMA_INDEX_FILE)) ? path : undefined, path, origin };
}

/**
 * Why a folder is not a schemas folder, naming it and where it came from; `option` is how the
 * caller spells an explicit folder (`--schemas`).
 */
export function schemaDirProblem(result: SchemaDirResult, option: string): string {
  const notSchemas = `not a schemas folder (no ${SCHEMA_INDEX_FILE} in it)`;
  switch (result.origin) {
    case 'explicit': return `${option} ${result.path}: ${notSchemas}`;
    case 'environment': return `${SCHEMAS_ENV} ${result.path}: ${notSchemas}; unset it to use the shipped schemas`;
    case 'shipped': return `the schemas shipped with cdk8s-kubevirt-runners are missing at ${result.path}: reinstall the package (in its repository: npm run schemas)`;
  }
}
