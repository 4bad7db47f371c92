// The synth's output folder, and the rule that keeps it from destroying anything: it replaces only a
// folder it owns — one that does not exist, is empty, or holds exactly what an earlier synth wrote,
// as listed (with SHA-256 sums) in the marker file it writes beside the manifests. It refuses the
// working folder, the app's project root, the home folder, the filesystem root and every folder
// above them, whatever they hold.
//
// `cdk8s synth` empties its configured `output` without looking (fs.rmSync(outdir, { recursive:
// true, force: true }) in cdk8s-cli's synth command); this synth checks first because its folder is
// given on the command line, where `--output .` is one typo away.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, parse, relative, resolve, sep } from 'node:path';
import { shellQuote } from '../private/shell';

/**
 * The marker: `sha256sum`'s format (`sha256sum -c` checks it), and an extension that
 * `kubectl apply -f`, Argo CD and Flux skip (they read *.yaml, *.yml and *.json).
 */
export const OUTPUT_MARKER = '.kubevirt-runners-synth.sha256';

/** cdk8s's construct metadata: `cdk8s synth` records it in its output folder when cdk8s.yaml lists validations. */
const CONSTRUCT_METADATA_FILE = 'construct-metadata.json';

/**
 * What to tell a user whose manifests hold cdk8s's construct metadata (`{ version, resources }`, the
 * construct path of each object, for validation plugins): what it is, and how it goes. Undefined
 * for any other file. `kubectl apply -f` cannot decode it either ("Object 'Kind' is missing").
 */
export function constructMetadataHint(file: string, documents: readonly unknown[]): string | undefined {
  const [metadata] = documents as any[];
  const isMetadata = basename(file) === CONSTRUCT_METADATA_FILE && documents.length === 1 && typeof metadata === 'object' && metadata !== null
    && metadata.kind === undefined && metadata.apiVersion === undefined && (metadata.resources !== undefined || metadata.version !== undefined);
  if (!isMetadata) return undefined;
  return 'not a Kubernetes object: cdk8s\'s construct metadata (the construct path of each object, for validation plugins), '
    + 'which `cdk8s synth` writes into its output folder when cdk8s.yaml lists validations; `kubectl apply -f` fails on it too. '
    + `Delete it (rm ${shellQuote(file)}). It does not come back with \`npm run synth\` (kubevirt-runners-synth), nor with \`cdk8s synth\` `
    + 'when cdk8s.yaml\'s validations list the cdk8s-kubevirt-runners plugin, which removes it once cdk8s has read it';
}

/** The files under a folder, as paths relative to it with `/` between folders, sorted; symlinks and other non-files are returned as they are. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    const stat = lstatSync(path);
    return stat.isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The files the marker of `dir` lists, with their sums; undefined when there is no marker. */
function markedFiles(dir: string): Map<string, string> | undefined {
  const marker = join(dir, OUTPUT_MARKER);
  if (!lstatSync(marker, { throwIfNoEntry: false })?.isFile()) return undefined;
  const listed = new Map<string, string>();
  for (const line of readFileSync(marker, 'utf8').split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (match) listed.set(match[2], match[1]);
  }
  return listed;
}

/** Writes the marker listing every file now in `dir`: what this synth wrote. */
export function markOutput(dir: string): void {
  const lines = filesUnder(dir).filter((f) => f !== OUTPUT_MARKER).map((f) => `${sha256(join(dir, f))}  ${f}\n`);
  writeFileSync(join(dir, OUTPUT_MARKER), lines.join(''));
}

/** The real path of `path`, through symlinks, for a path that may not exist yet (its nearest existing ancestor is resolved). */
function realPath(path: string): string {
  const absolute = resolve(path);
  if (lstatSync(absolute, { throwIfNoEntry: false })) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(realPath(parent), basename(absolute));
}

/** True when `folder` is `path` or one of the folders above it. */
function holds(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** The folder of the app's project: the nearest one at or above the app holding package.json or cdk8s.yaml. */
function projectRoot(app: string): string | undefined {
  for (let dir = dirname(app); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'cdk8s.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function listed(files: readonly string[]): string {
  return files.length > 5 ? `${files.slice(0, 5).join(', ')} and ${files.length - 5} more` : files.join(', ');
}

/**
 * Why the synth must not replace `output` (as the user named it), or undefined when it owns it.
 * `app` is the app's file, whose project root is refused.
 */
export function outputFolderProblem(output: string, app: string): string | undefined {
  const dangling = lstatSync(resolve(output), { throwIfNoEntry: false })?.isSymbolicLink() && !existsSync(resolve(output));
  if (dangling) return `${output} is a symlink to a folder that does not exist; create it, or give its path as --output`;
  const real = realPath(output);
  const named = real === resolve(output) ? output : `${output} (${real})`;
  const refuse = (why: string) => `refusing to replace ${named}: ${why}; choose another --output (dist is the default)`;
  if (parse(real).root === real) return refuse('it is the filesystem root');
  if (real === realPath(homedir())) return refuse('it is the home folder');
  const cwd = realPath(process.cwd());
  if (holds(real, cwd)) return refuse(real === cwd ? 'it is the working folder' : `it holds the working folder ${cwd}`);
  const root = projectRoot(realPath(app));
  if (root && holds(real, root)) return refuse(real === root ? "it is the app's project folder" : `it holds the app's project folder ${root}`);
  const stat = lstatSync(real, { throwIfNoEntry: false });
  if (!stat) return undefined;
  if (!stat.isDirectory()) return refuse('it is not a folder');
  const files = filesUnder(real);
  if (files.length === 0) return undefined;
  const marked = markedFiles(real);
  if (!marked) return refuse(`it holds files an earlier synth did not write (${listed(files)}), and no ${OUTPUT_MARKER}; if they are yours to lose, remove them first`);
  const foreign = files.filter((f) => f !== OUTPUT_MARKER && (!lstatSync(join(real, f)).isFile() || marked.get(f) !== sha256(join(real, f))));
  if (foreign.length > 0) return refuse(`it holds files the last synth did not write or that changed since (${listed(foreign)}); if they are yours to lose, remove them first`);
  return undefined;
}

/** The folder the output is written to: the real path, so that a symlinked output folder stays a symlink to the new output. */
export function outputTarget(output: string): string {
  return realPath(output);
}

/**
 * Removes an earlier output that `outputFolderProblem` accepted: the files its marker lists, the
 * marker, then the folders that are left empty. A file that appeared since is left where it is, and
 * so is its folder; the folder's path is returned then.
 */
export function removeOwnedOutput(dir: string): string | undefined {
  const marked = markedFiles(dir) ?? new Map<string, string>();
  for (const file of [...marked.keys(), OUTPUT_MARKER]) {
    const path = join(dir, file);
    if (!holds(dir, resolve(path))) continue;
    if (lstatSync(path, { throwIfNoEntry: false })?.isFile() && (file === OUTPUT_MARKER || sha256(path) === marked.get(file))) unlinkSync(path);
  }
  const removeEmpty = (folder: string): boolean => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (lstatSync(path).isDirectory()) removeEmpty(path);
    }
    if (readdirSync(folder).length > 0) return false;
    rmdirSync(folder);
    return true;
  };
  return removeEmpty(dir) ? undefined : relative(process.cwd(), dir) || dir;
}
