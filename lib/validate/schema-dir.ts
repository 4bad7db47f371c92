import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Environment variable that points at a schemas folder (kubevirt, cdi, kubernetes, cloud-init). */
export const SCHEMAS_ENV = 'KUBEVIRT_RUNNERS_SCHEMAS';

/** Where the schemas were found, and how. */
export interface SchemaDirResult {
  /** The folder found. @default - none found */
  readonly dir?: string;
  /** What was tried, for the message when nothing was found. */
  readonly tried: string[];
}

/**
 * Finds the schemas folder: an explicit `--schemas DIR`, else $KUBEVIRT_RUNNERS_SCHEMAS, else
 * `../shared/schemas` beside the working directory or beside this package.
 */
export function findSchemaDir(explicit?: string, cwd = process.cwd()): SchemaDirResult {
  const candidates = explicit !== undefined ? [resolve(cwd, explicit)]
    : process.env[SCHEMAS_ENV] ? [resolve(cwd, process.env[SCHEMAS_ENV]!)]
      : [resolve(cwd, '..', 'shared', 'schemas'), resolve(__dirname, '..', '..', '..', 'shared', 'schemas')];
  const dir = candidates.find((c) => existsSync(join(c, 'jsonschema')) && existsSync(join(c, 'kubernetes')));
  return { dir, tried: candidates };
}
