import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// lib/validate/typescript-hook.cjs, which loads TypeScript for the in-process synth: the nearest
// tsconfig.json decides the output, syntax errors name the file and line, and the cache is keyed
// by what went in.
describe('typescript-hook', () => {
  let dir: string;
  let previous: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'typescript-hook-'));
    previous = process.env.KUBEVIRT_RUNNERS_NO_CACHE;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env.KUBEVIRT_RUNNERS_NO_CACHE; else process.env.KUBEVIRT_RUNNERS_NO_CACHE = previous;
    delete process.env.KUBEVIRT_RUNNERS_CACHE_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the hook, so that it reads the cache settings of the test. */
  const hook = (): { transpile: (source: string, filename: string) => string } => {
    let loaded: any;
    jest.isolateModules(() => {
      loaded = require('../../lib/validate/typescript-hook.cjs');
    });
    return loaded;
  };

  test('follows the nearest tsconfig.json, and node 20 defaults without one', () => {
    const source = 'export const pick = (a?: number) => a ?? 2;\n';
    mkdirSync(join(dir, 'old'));
    writeFileSync(join(dir, 'old', 'tsconfig.json'), '{ "compilerOptions": { "target": "ES2015" } } // comments are fine\n');
    const { transpile } = hook();
    expect(transpile(source, join(dir, 'old', 'pick.ts'))).toContain('!== null && a !== void 0 ? a : 2');
    const modern = transpile(source, join(dir, 'pick.ts'));
    expect(modern).toContain('a ?? 2');
    expect(modern).toContain('exports.pick = pick');
  });

  test('a syntax error names the file, line and column', () => {
    const { transpile } = hook();
    expect(() => transpile('const a = 1;\nconst = 2;\n', join(dir, 'broken.ts'))).toThrow(`${join(dir, 'broken.ts')}:2:7: Variable declaration expected.`);
  });

  test('caches by content: the same file is transpiled once, a changed one again', () => {
    delete process.env.KUBEVIRT_RUNNERS_NO_CACHE;
    const cache = join(dir, 'cache');
    process.env.KUBEVIRT_RUNNERS_CACHE_DIR = cache;
    const { transpile } = hook();
    const file = join(dir, 'a.ts');
    const first = transpile('export const a: number = 1;\n', file);
    expect(readdirSync(join(cache, 'typescript'))).toHaveLength(1);
    expect(transpile('export const a: number = 1;\n', file)).toBe(first);
    expect(readdirSync(join(cache, 'typescript'))).toHaveLength(1);
    expect(transpile('export const a: number = 2;\n', file)).toContain('exports.a = 2');
    expect(readdirSync(join(cache, 'typescript'))).toHaveLength(2);
  });
});
