import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnySchema, ValidateFunction } from 'ajv';
import type Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';

// ajv needs most of a second to compile the KubeVirt and cloud-init schemas, on every synth. The
// compiled validators are kept as JavaScript in the project's node_modules/.cache (never in a shared
// temporary folder: it is code that gets loaded), keyed by the schema, ajv's version and the
// caller's recipe: its ajv options and the code of any custom keyword.
const AJV_VERSION: string = require('ajv/package.json').version;
const CACHE_FORMAT = '2';

/**
 * The project-private cache folder ($KUBEVIRT_RUNNERS_CACHE_DIR, else node_modules/.cache), or
 * undefined where there is no node_modules to hold it or $KUBEVIRT_RUNNERS_NO_CACHE is set.
 */
export function defaultCacheDir(cwd = process.cwd()): string | undefined {
  if (process.env.KUBEVIRT_RUNNERS_NO_CACHE) return undefined;
  if (process.env.KUBEVIRT_RUNNERS_CACHE_DIR) return process.env.KUBEVIRT_RUNNERS_CACHE_DIR;
  return existsSync(join(cwd, 'node_modules')) ? join(cwd, 'node_modules', '.cache', 'cdk8s-kubevirt-runners') : undefined;
}

/**
 * Compiles `schema` with `ajv` (created with `code: { source: true, formats }` so that its output is
 * standalone), reusing the cached module when one exists for the same inputs.
 */
export function compileCached(ajv: Ajv, schema: AnySchema, schemaText: string, recipe: string, cacheDir: string | undefined): ValidateFunction {
  if (!cacheDir) return ajv.compile(schema);
  const key = createHash('sha256').update(`${CACHE_FORMAT}\0${AJV_VERSION}\0${recipe}\0${schemaText}`).digest('hex').slice(0, 32);
  const file = join(cacheDir, `${key}.js`);
  if (existsSync(file)) {
    try {
      return require(file) as ValidateFunction;
    } catch {
      // A cache written by another install (or half-written) is simply rebuilt.
    }
  }
  const validate = ajv.compile(schema);
  const partial = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(partial, standaloneCode(ajv, validate));
    // Only code that loads is kept: a broken entry would cost a recompile on every run.
    require(partial);
    renameSync(partial, file);
  } catch {
    // A read-only project, or code that does not load, still validates, just without the cache.
    rmSync(partial, { force: true });
  }
  return validate;
}
