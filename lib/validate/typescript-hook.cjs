// Lets `require` load TypeScript files, for kubevirt-runners-synth and this repository's
// `npm run synth` (`node --require ./lib/validate/typescript-hook.cjs lib/validate/synth.ts main.ts`).
//
// Why not tsx or ts-node: tsx hooks every module, JavaScript too, and doubles the time node takes
// to load cdk8s and its dependencies; ts-node type-checks. This hook only handles .ts files and
// transpiles each one on its own with the project's TypeScript (the `transpileModule` of
// `isolatedModules`, what ts-jest and ts-node --transpile-only do), with the options of the nearest
// tsconfig.json. The JavaScript is cached in node_modules/.cache/cdk8s-kubevirt-runners/typescript,
// keyed by the TypeScript version, that tsconfig.json's text, the file's path and its text, so a
// synth loads TypeScript only after a change. A tsconfig.json that `extends` another is keyed by its
// own text only: after changing the base, clear the cache (or set KUBEVIRT_RUNNERS_NO_CACHE=1).
// Plain CommonJS: it must load before anything can read TypeScript.
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');

const CACHE_FORMAT = '1';
const EXTENSIONS = ['.ts', '.cts', '.tsx'];

/** Where transpiled files are kept: like the validator cache (lib/validate/compiled-schema.ts), in a subfolder. */
function cacheDir() {
  if (process.env.KUBEVIRT_RUNNERS_NO_CACHE) return undefined;
  if (process.env.KUBEVIRT_RUNNERS_CACHE_DIR) return join(process.env.KUBEVIRT_RUNNERS_CACHE_DIR, 'typescript');
  const modules = join(process.cwd(), 'node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'cdk8s-kubevirt-runners', 'typescript') : undefined;
}

const cache = cacheDir();
const tsconfigByDir = new Map();
const typescriptByDir = new Map();

/** The nearest tsconfig.json above `dir` (undefined when there is none), remembered per folder. */
function nearestTsconfig(dir) {
  if (tsconfigByDir.has(dir)) return tsconfigByDir.get(dir);
  const candidate = join(dir, 'tsconfig.json');
  const parent = dirname(dir);
  const found = existsSync(candidate) ? candidate : parent === dir ? undefined : nearestTsconfig(parent);
  tsconfigByDir.set(dir, found);
  return found;
}

/** The path of the `typescript` package that a file's project installs (falling back to the one beside this file). */
function typescriptPath(dir) {
  if (!typescriptByDir.has(dir)) {
    let path;
    for (const paths of [[dir], [__dirname]]) {
      try {
        path = require.resolve('typescript', { paths });
        break;
      } catch {
        // try the next place
      }
    }
    typescriptByDir.set(dir, path);
  }
  return typescriptByDir.get(dir);
}

/** Compiler options from a tsconfig.json (its `extends` followed, its file lists not expanded), set for CommonJS output as node runs it. */
function compilerOptions(ts, tsconfig) {
  // Without a tsconfig.json: what node 20 runs natively.
  let options = { target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  if (tsconfig) {
    const { config, error } = ts.readConfigFile(tsconfig, ts.sys.readFile);
    if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
    const host = { ...ts.sys, readDirectory: () => [] };
    options = ts.parseJsonConfigFileContent(config, host, dirname(tsconfig), undefined, tsconfig).options;
  }
  return {
    ...options,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    verbatimModuleSyntax: false,
    // Source maps cost nothing until node is asked to read them (--enable-source-maps).
    noEmit: false, declaration: false, declarationMap: false, sourceMap: false, inlineSourceMap: true, inlineSources: false, composite: false,
  };
}

const optionsByConfig = new Map();
const texts = new Map();

/** A small file's text (a package.json, a tsconfig.json), read once. */
function readOnce(path) {
  if (!texts.has(path)) texts.set(path, readFileSync(path, 'utf8'));
  return texts.get(path);
}

/** The JavaScript of one TypeScript file, from the cache when the same inputs were transpiled before. */
function transpile(source, filename) {
  const dir = dirname(filename);
  const tsPath = typescriptPath(dir);
  if (!tsPath) throw new Error(`cannot load ${filename}: install TypeScript (npm install --save-dev typescript)`);
  const tsconfig = nearestTsconfig(dir);
  let file;
  if (cache) {
    const tsVersion = JSON.parse(readOnce(join(dirname(tsPath), '..', 'package.json'))).version;
    const key = createHash('sha256')
      .update(`${CACHE_FORMAT}\0${tsVersion}\0${tsconfig ? readOnce(tsconfig) : ''}\0${filename}\0${source}`)
      .digest('hex').slice(0, 32);
    file = join(cache, `${key}.js`);
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  const ts = require(tsPath);
  const configKey = `${tsPath}\0${tsconfig}`;
  if (!optionsByConfig.has(configKey)) optionsByConfig.set(configKey, compilerOptions(ts, tsconfig));
  const { outputText, diagnostics } = ts.transpileModule(source, {
    compilerOptions: optionsByConfig.get(configKey), fileName: filename, reportDiagnostics: true,
  });
  const errors = (diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new SyntaxError(errors.map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${filename}${where ? `:${where.line + 1}:${where.character + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    }).join('\n'));
  }
  if (file) {
    try {
      mkdirSync(cache, { recursive: true });
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, outputText);
      renameSync(partial, file);
    } catch {
      // A read-only project still runs, just without the cache.
    }
  }
  return outputText;
}

function loadTypeScript(module, filename) {
  module._compile(transpile(readFileSync(filename, 'utf8'), filename), filename);
}

/** Registers the hook, unless something (tsx, ts-node, jest) already reads TypeScript. */
function register() {
  for (const extension of EXTENSIONS) {
    if (!Module._extensions[extension]) Module._extensions[extension] = loadTypeScript;
  }
}

register();

module.exports = { register, transpile };
