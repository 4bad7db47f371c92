#!/usr/bin/env node
// `kubevirt-runners-synth [APP] [--output DIR] [--schemas DIR] [--external-secret NAME]... [--external-volume NAME]... [--no-validate]`
// Runs a cdk8s app and validates what it synthesized in the same process, from the objects it had
// in memory (no YAML is read back), then moves the output into place. A failed synth (the app
// throws, or its output has findings) exits 1, prints why, and leaves the output folder as it was.
// It replaces only a folder it owns (./output-folder.ts): never the working folder, the project,
// or a folder holding files it did not write; those it refuses (exit 2) before the app runs.
//
// What `cdk8s synth` does for an app, and this keeps: the app runs with CDK8S_OUTDIR set and writes
// its files there. What it does differently: the files land in a temporary folder beside the
// output folder, cdk8s's public `Yaml.save` is wrapped to keep the objects it is given, and the
// folder replaces the output folder only when those objects are valid. Beside the manifests it
// writes FLEET.md, the fleet at a glance (lib/validate/fleet-summary/), and prints it, and the
// marker that lists what it wrote (OUTPUT_MARKER), which lets the next synth replace the folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { argsOrUsage, parseCommandLine, ValidationArgs } from './command-line';
import { Finding, formatFinding, ManifestObject } from './finding';
import { markOutput, outputFolderProblem, outputTarget, removeOwnedOutput } from './output-folder';
import { findSchemaDir, schemaDirProblem } from './schema-dir';

const USAGE = 'usage: kubevirt-runners-synth [APP] [--output DIR] [--schemas DIR] [--external-secret NAME]... [--external-volume NAME]... [--no-validate]';
const DEFAULT_APP = 'main.ts';
const DEFAULT_OUTPUT = 'dist';
const MANIFEST = /\.(ya?ml|json)$/;
const CONSTRUCT_METADATA = 'construct-metadata.json';

interface Args extends ValidationArgs {
  app: string;
  output?: string;
  validate: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { app: '', externalSecrets: [], externalVolumes: [], validate: true };
  const apps: string[] = [];
  parseCommandLine(argv, args, (arg, value) => {
    if (arg === '--output' || arg === '-o') args.output = value();
    else if (arg === '--no-validate') args.validate = false;
    else return false;
    return true;
  }, (app) => apps.push(app));
  if (apps.length > 1) throw new Error(`one app at a time, got ${apps.join(' ')}`);
  args.app = apps[0] ?? DEFAULT_APP;
  return args;
}

/** The output folder: --output, else cdk8s.yaml's `output:` (as `cdk8s synth` would use), else dist. */
function outputFolder(explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  if (!existsSync('cdk8s.yaml')) return DEFAULT_OUTPUT;
  // A top-level `output: DIR` line is all that is read; cdk8s.yaml is the user's, not ours to parse in full.
  const match = /^output:[ \t]*['"]?([^'"#\n]+?)['"]?[ \t]*(#.*)?$/m.exec(readFileSync('cdk8s.yaml', 'utf8'));
  return match ? match[1] : DEFAULT_OUTPUT;
}

/** Makes `require` read TypeScript, unless something (node --require tsx/cjs, ts-node) already does. */
function ensureTypeScript(app: string): void {
  if (/\.[cm]?tsx?$/.test(app) && !require.extensions['.ts']) require('./typescript-hook.cjs');
}

function tryResolve(id: string, paths: string[]): string | undefined {
  try {
    return require.resolve(id, { paths });
  } catch {
    return undefined;
  }
}

interface Saved {
  readonly file: string;
  readonly docs: readonly unknown[];
}

/** One synthesis: a temporary output folder, and the objects cdk8s saved into it. */
class Synthesis {
  private readonly temp: string;
  private readonly saved: Saved[] = [];
  private readonly restoreSave: () => void;
  private done = false;

  constructor(private readonly app: string, private readonly outdir: string, private readonly shown: string) {
    mkdirSync(dirname(outdir), { recursive: true });
    // Beside the output folder, so that moving it into place is a rename on the same file system;
    // made like cdk8s makes the output folder (mode from the umask), named for this process.
    const prefix = `.${basename(outdir)}.synth-`;
    removeAbandoned(dirname(outdir), prefix);
    this.temp = join(dirname(outdir), `${prefix}${process.pid}`);
    rmSync(this.temp, { recursive: true, force: true });
    mkdirSync(this.temp);
    process.env.CDK8S_OUTDIR = this.temp;
    process.env.CDK8S_RECORD_CONSTRUCT_METADATA = 'false';
    // The cdk8s the app itself loads, so that its App saves through the wrapper.
    const cdk8sPath = tryResolve('cdk8s', [dirname(app)]);
    if (!cdk8sPath) throw new Error(`cannot find the cdk8s package from ${app}: npm install cdk8s constructs`);
    const { Yaml } = require(cdk8sPath);
    const save = Yaml.save;
    const saved = this.saved;
    Yaml.save = function (file: string, docs: unknown[]) {
      saved.push({ file: resolve(file), docs });
      return save.call(this, file, docs);
    };
    this.restoreSave = () => { Yaml.save = save; };
  }

  /** Loads the app, which synthesizes as it runs (`app.synth()`). */
  public run(): void {
    ensureTypeScript(this.app);
    require(this.app);
  }

  /** Validates what the app wrote and moves it into place; the exit code. */
  public finish(options: Args): number {
    this.restoreSave();
    const outside = this.saved.filter((s) => !s.file.startsWith(this.temp + sep));
    if (outside.length > 0) {
      return this.fail(`the app wrote ${outside.map((s) => s.file).join(', ')} outside CDK8S_OUTDIR: create the App without an outdir so that the output folder can be chosen`);
    }
    rmSync(join(this.temp, CONSTRUCT_METADATA), { force: true });
    const files = manifestFiles(this.temp);
    if (files.length === 0) return this.fail(`${this.app} wrote no manifests (does it call app.synth()?)`);
    const { items, findings } = this.objects(files);
    const summary = options.validate ? this.validate(files, items, findings, options) : 'not validated (--no-validate)';
    if (summary === undefined) return 1;
    // Written into the temporary folder, so that it lands (and only lands) with the manifests it describes.
    const { fleetMarkdown, summarizeFleet, FLEET_SUMMARY_FILE } = require('./fleet-summary') as typeof import('./fleet-summary');
    const fleet = fleetMarkdown(summarizeFleet(items));
    writeFileSync(join(this.temp, FLEET_SUMMARY_FILE), fleet);
    // Checked again: the folder may have changed while the app ran.
    const problem = outputFolderProblem(this.outdir, this.app);
    if (problem) return this.fail(`${problem}; nothing was written`);
    markOutput(this.temp);
    const left = replaceFolder(this.temp, this.outdir);
    if (left) console.error(`synth: ${left} holds files that appeared during the synth; they were left there`);
    this.done = true;
    console.log(fleet);
    for (const file of files) console.log(`  - ${this.show(file)}`);
    console.log(`  - ${join(this.shown, FLEET_SUMMARY_FILE)}`);
    console.log(`synth: ${summary}`);
    return 0;
  }

  /** Prints why the synth failed and removes what it wrote, leaving the output folder as it was; the exit code. */
  public fail(message: string): number {
    console.error(`synth: ${message}`);
    this.cleanUp();
    return 1;
  }

  /** Removes the temporary folder of a synth that did not finish. */
  public abandon(): void {
    if (this.done) return;
    this.cleanUp();
  }

  private cleanUp(): void {
    this.restoreSave();
    rmSync(this.temp, { recursive: true, force: true });
  }

  /** The objects the app synthesized: those it saved through cdk8s, and those of files it wrote itself (read back). */
  private objects(files: string[]): { items: ManifestObject[]; findings: Finding[] } {
    const { readManifests } = require('./index') as typeof import('./index');
    const items: ManifestObject[] = [];
    const captured = new Set<string>();
    for (const { file, docs } of this.saved) {
      captured.add(file);
      for (const object of docs) if (object !== null && object !== undefined) items.push({ file: this.show(file), object });
    }
    // Files the app wrote some other way than through this cdk8s's Yaml.save are read back.
    const others = files.filter((f) => !captured.has(f));
    const read = others.length > 0 ? readManifests(others) : { items: [], findings: [] };
    items.push(...read.items.map((i) => ({ file: this.show(i.file), object: i.object })));
    return { items, findings: read.findings.map((f) => ({ ...f, file: this.show(f.file) })) };
  }

  /** Validates the output: a summary line when it is valid, undefined (findings printed, output removed) when not. */
  private validate(files: string[], items: ManifestObject[], readFindings: Finding[], options: Args): string | undefined {
    const schemas = findSchemaDir(options.schemas);
    const dir = schemas.dir;
    if (!dir) {
      this.fail(`${schemaDirProblem(schemas, '--schemas')}; nothing was written`);
      return undefined;
    }
    const { validateObjects } = require('./index') as typeof import('./index');
    const findings: Finding[] = [...readFindings, ...validateObjects(items, {
      schemaDir: dir, externalSecrets: options.externalSecrets, externalVolumes: options.externalVolumes,
    })];
    if (findings.length > 0) {
      for (const finding of findings) console.log(formatFinding(finding));
      this.fail(`${findings.length} problems in ${items.length} objects in ${files.length} files against ${dir}; nothing was written`);
      return undefined;
    }
    return `${items.length} objects in ${files.length} files, valid against ${dir}`;
  }

  /** Where a file in the temporary folder ends up, as the user named the output folder. */
  private show(file: string): string {
    return join(this.shown, relative(this.temp, file));
  }
}

/**
 * Removes what synths that were killed (their process is gone) left: their temporary folders, which
 * only they wrote to, and an earlier output moved aside (`.old`), as far as its marker lists it.
 */
function removeAbandoned(parent: string, prefix: string): void {
  for (const name of readdirSync(parent)) {
    const match = name.startsWith(prefix) ? /^([0-9]+)(\.old)?$/.exec(name.slice(prefix.length)) : null;
    if (!match || isRunning(Number(match[1]))) continue;
    if (match[2]) removeOwnedOutput(join(parent, name));
    else rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The manifest files under a folder (cdk8s may write one folder per chart), sorted. */
function manifestFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return manifestFiles(path);
    return MANIFEST.test(name) ? [path] : [];
  });
}

/**
 * Puts `from` where `to` is: two renames, so `to` is never half-written; then removes the earlier
 * output as far as its marker lists it. The folder left behind when something else is in it.
 */
function replaceFolder(from: string, to: string): string | undefined {
  const old = existsSync(to) ? `${from}.old` : undefined;
  if (old) renameSync(to, old);
  renameSync(from, to);
  return old ? removeOwnedOutput(old) : undefined;
}

export function main(argv: readonly string[]): void {
  const args = argsOrUsage(() => parseArgs(argv), USAGE);
  if (!args) {
    process.exitCode = 2;
    return;
  }
  const app = resolve(args.app);
  if (!existsSync(app)) {
    console.error(`synth: ${args.app} not found\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (!['.ts', '.cts', '.tsx', '.js', '.cjs'].includes(extname(app))) {
    console.error(`synth: ${args.app}: expected a .ts or .js app (CommonJS, as cdk8s init makes it)`);
    process.exitCode = 2;
    return;
  }
  const shown = outputFolder(args.output);
  let problem: string | undefined;
  try {
    problem = outputFolderProblem(shown, app);
  } catch (e) {
    problem = `cannot read ${shown}: ${(e as Error).message}`;
  }
  if (problem) {
    console.error(`synth: ${problem}; nothing was touched`);
    process.exitCode = 2;
    return;
  }
  let synthesis: Synthesis;
  try {
    synthesis = new Synthesis(app, outputTarget(shown), shown);
  } catch (e) {
    console.error(`synth: ${(e as Error).message}`);
    process.exitCode = 1;
    return;
  }
  // An app that fails later (a rejected promise) ends the process: leave nothing behind.
  process.once('exit', () => synthesis.abandon());
  try {
    synthesis.run();
  } catch (e) {
    // The hook emits source maps; node reads them only when asked, which costs a fifth of a synth.
    const hint = /\.[cm]?tsx?$/.test(app) && !process.sourceMapsEnabled
      ? '\n(line numbers are in the transpiled JavaScript; NODE_OPTIONS=--enable-source-maps shows them in the TypeScript)' : '';
    process.exitCode = synthesis.fail(`${args.app} failed: ${(e as Error)?.stack ?? String(e)}${hint}`);
    return;
  }
  // The app may synthesize asynchronously; it is done when nothing is left to run.
  process.once('beforeExit', () => {
    process.exitCode = synthesis.finish(args);
  });
}

if (require.main === module) main(process.argv.slice(2));
