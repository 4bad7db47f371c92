import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { compileCached } from '../../lib/validate/compiled-schema';

// The validator cache: it must give the same verdicts as a fresh compile, and a different schema or
// recipe (ajv options, custom keyword code) must never reuse an old entry.
describe('compileCached', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'schema-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const schema = { type: 'object', properties: { replicas: { type: 'integer', minimum: 1 } }, additionalProperties: false };
  const text = JSON.stringify(schema);
  const ajv = () => new Ajv({ allErrors: true, code: { source: true } });

  test('writes standalone code once and loads it the next time, with the same verdicts', () => {
    const fresh = compileCached(ajv(), schema, text, 'recipe-a', dir);
    expect(readdirSync(dir)).toHaveLength(1);
    const cached = compileCached(ajv(), schema, text, 'recipe-a', dir);
    expect(readdirSync(dir)).toHaveLength(1);
    for (const value of [{ replicas: 2 }, { replicas: 0 }, { replicaz: 1 }]) {
      expect(cached(value)).toBe(fresh(value));
    }
    expect(cached({ replicas: 0 })).toBe(false);
    expect(cached.errors?.[0].instancePath).toBe('/replicas');
  });

  test('another recipe or another schema is another cache entry', () => {
    compileCached(ajv(), schema, text, 'recipe-a', dir);
    compileCached(ajv(), schema, text, 'recipe-b', dir);
    const other = { ...schema, additionalProperties: true };
    compileCached(ajv(), other, JSON.stringify(other), 'recipe-a', dir);
    expect(readdirSync(dir)).toHaveLength(3);
  });

  test('no cache folder: compiles in memory', () => {
    expect(compileCached(ajv(), schema, text, 'recipe-a', undefined)({ replicas: 3 })).toBe(true);
  });
});
