import { Composer, Document, isMap, isScalar, isSeq, LineCounter, Parser } from 'yaml';
import { NOT_YAML_PRINTABLE } from '../private/free-text';
import type { CloudConfigProblem } from './cloud-config-problem';

// cloud-init reads user-data with PyYAML (YAML 1.1, yaml.safe_load); the library writes YAML 1.2 with
// the `yaml` package. This module reads a cloud-config the way cloud-init does, and says where
// PyYAML would refuse it or read something other than a YAML 1.2 reader (the library, its tests,
// an editor) sees:
// - the `yaml` package in YAML 1.1 mode, its yaml-1.1 schema's implicit types narrowed to PyYAML's
//   resolvers (yaml/resolver.py: `on`/`no`/`yes` are booleans, `y`/`n` are not; `0644` is octal;
//   `1:30` is sexagesimal; `2024-01-01` is a date; a float needs a dot and a signed exponent);
// - what PyYAML's reader and scanner refuse that YAML 1.2 accepts (yaml/reader.py check_printable,
//   yaml/scanner.py): characters outside its printable set, tabs anywhere but inside quoted scalars,
//   block-scalar content and comments; and what it reads differently: U+0085, U+2028 and U+2029 are
//   line breaks to PyYAML; a plain `=` has no constructor (tag:yaml.org,2002:value).
// The real PyYAML, where installed, is pyyamlProblem in cloud-config.ts.

/** A cloud-config as cloud-init reads it. */
export interface CloudConfigReading {
  /** The content as PyYAML reads it; undefined when it is not YAML at all. */
  readonly config: unknown;
  /** Why it is not YAML, and what PyYAML refuses or reads differently from YAML 1.2, each with a JSON path. */
  readonly problems: readonly CloudConfigProblem[];
}

// A fleet shares a handful of cloud-configs among thousands of objects, and several checks read each:
// the readings of the most recent ones are kept (they are never modified).
const MAX_CACHED = 32;
const cache = new Map<string, CloudConfigReading>();

/** Reads user-data the way cloud-init does; the result is shared, do not modify it. */
export function readCloudConfig(userData: string): CloudConfigReading {
  let reading = cache.get(userData);
  if (!reading) {
    reading = read(userData);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(userData, reading);
  }
  return reading;
}

// PyYAML 6.0's implicit resolvers (yaml/resolver.py), for the yaml-1.1 tags they differ from.
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PYYAML_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const PYYAML_INT_SEXAGESIMAL = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/;
const PYYAML_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;
const PYYAML_FLOAT_EXPONENT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)[eE][-+][0-9]+$/;
const PYYAML_TIMESTAMP = /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

function pyyamlTest(tag: any): RegExp | undefined {
  switch (tag.tag) {
    case 'tag:yaml.org,2002:bool': return tag.test.test('true') ? PYYAML_TRUE : PYYAML_FALSE;
    case 'tag:yaml.org,2002:int':
      if (tag.format === undefined) return PYYAML_INT;
      return tag.format === 'TIME' ? PYYAML_INT_SEXAGESIMAL : undefined;
    case 'tag:yaml.org,2002:float':
      if (tag.format === 'EXP') return PYYAML_FLOAT_EXPONENT;
      return tag.format === undefined && !tag.test.test('.nan') ? PYYAML_FLOAT : undefined;
    case 'tag:yaml.org,2002:timestamp': return PYYAML_TIMESTAMP;
    default: return undefined;
  }
}

const PYYAML_OPTIONS = {
  version: '1.1' as const,
  schema: 'yaml-1.1',
  customTags: (tags: any[]) => tags.map((tag) => {
    const test = tag.test instanceof RegExp ? pyyamlTest(tag) : undefined;
    return test ? { ...tag, test } : tag;
  }),
};

// yaml/reader.py NON_PRINTABLE (the set synth refuses in every string prop), and the line breaks of
// yaml/scanner.py that YAML 1.2 does not have.
const NOT_PRINTABLE = new RegExp(NOT_YAML_PRINTABLE.source, 'gu');
const PYYAML_LINE_BREAKS = /[\x85\u2028\u2029]/g;

function read(userData: string): CloudConfigReading {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(userData));
  // One parse, two readings: the same tokens composed as YAML 1.2 and as PyYAML does.
  const yaml12 = Array.from(new Composer({}).compose(tokens, true, userData.length));
  const pyyaml = Array.from(new Composer(PYYAML_OPTIONS).compose(tokens, true, userData.length));
  const where = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  const problems = new Problems(yaml12[0], where);
  characterProblems(userData, problems);
  tabProblems(tokens, problems);
  if (yaml12.length > 1) {
    problems.list.unshift({ path: '', message: `user-data holds ${yaml12.length} YAML documents; cloud-init reads exactly one (${where(yaml12[1].range[0])})` });
    return { config: undefined, problems: problems.list };
  }
  const error = yaml12[0]?.errors[0] ?? pyyaml[0]?.errors[0];
  if (error) {
    problems.list.unshift({ path: '', message: `user-data is not valid YAML: ${error.message} (${where(error.pos[0])})` });
    return { config: undefined, problems: problems.list };
  }
  if (!yaml12[0]) return { config: null, problems: problems.list };
  compareReadings(pyyaml[0].contents, yaml12[0].contents, '', problems);
  return { config: pyyaml[0].toJS(), problems: problems.list };
}

/** Problems of one cloud-config: one line per kind of problem and JSON path, naming the first place and counting the rest. */
class Problems {
  public readonly list: CloudConfigProblem[] = [];
  private readonly byKey = new Map<string, { problem: { path: string; message: string }; more: number; message: string }>();

  constructor(private readonly doc: Document | undefined, private readonly where: (offset: number) => string) {}

  /** Records a problem at `offset`; `kind` groups repeats within one JSON path. */
  public add(offset: number, kind: string, message: (at: string) => string): void {
    const path = this.doc ? pathAt(this.doc.contents, offset, '') : '';
    const key = `${kind} ${path}`;
    const seen = kind ? this.byKey.get(key) : undefined;
    if (seen) {
      seen.more += 1;
      seen.problem.message = `${seen.message} (${seen.more} more in this value)`;
      return;
    }
    const problem = { path, message: message(this.where(offset)) };
    this.list.push(problem);
    if (kind) this.byKey.set(key, { problem, more: 0, message: problem.message });
  }
}

function characterProblems(text: string, problems: Problems): void {
  for (const match of text.matchAll(NOT_PRINTABLE)) {
    const code = `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    problems.add(match.index!, `char ${code}`, (at) => `character ${code} at ${at}: PyYAML (cloud-init) refuses it `
      + '("unacceptable character: special characters are not allowed"); remove it or write it as an escape in a double-quoted string');
  }
  for (const match of text.matchAll(PYYAML_LINE_BREAKS)) {
    const code = `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    problems.add(match.index!, `break ${code}`, (at) => `${code} at ${at}: PyYAML (cloud-init) reads it as a line break, `
      + 'YAML 1.2 as an ordinary character, so cloud-init sees other text or fails; remove it or write it as an escape in a double-quoted string');
  }
}

// PyYAML skips only spaces between tokens and ends a plain scalar at a tab, after which nothing can
// start ("found character '\t' that cannot start any token"); quoted scalars, comments and block-scalar
// content after its indentation may hold tabs.
function tabProblems(tokens: unknown[], problems: Problems): void {
  const report = (offset: number) => problems.add(offset, 'tab', (at) => `tab at ${at}: PyYAML (cloud-init) refuses tabs outside `
    + 'quoted strings, comments and block-scalar text ("found character \'\\t\' that cannot start any token"); use spaces, or quote the value');
  forEachSourceToken(tokens, (token) => {
    if (!token.source.includes('\t') || TAB_FREE_TOKENS.has(token.type)) return;
    if (token.type !== 'block-scalar') {
      for (let i = token.source.indexOf('\t'); i >= 0; i = token.source.indexOf('\t', i + 1)) report(token.offset + i);
      return;
    }
    // Block-scalar content: a tab within the block's indentation ends the block for PyYAML.
    const props: SourceToken[] = token.props ?? [];
    const start = props.length > 0 ? Math.max(...props.map((p) => p.offset + p.source.length)) : token.offset;
    const header = props.find((p) => p.type === 'block-scalar-header')?.source ?? '';
    const explicit = Number(/[1-9]/.exec(header)?.[0] ?? 0);
    const lines = token.source.split('\n');
    const firstText = lines.find((line) => line.trim() !== '') ?? '';
    const indent = explicit ? token.indent + explicit : Math.max(token.indent + 1, /^ */.exec(firstText)![0].length);
    let offset = start;
    for (const line of lines) {
      const spaces = /^ */.exec(line)![0].length;
      if (spaces < indent && line[spaces] === '\t') report(offset + spaces);
      offset += line.length + 1;
    }
  });
}

const TAB_FREE_TOKENS = new Set(['comment', 'single-quoted-scalar', 'double-quoted-scalar']);

interface SourceToken {
  readonly type: string;
  readonly offset: number;
  readonly indent: number;
  readonly source: string;
  readonly props?: SourceToken[];
}

/** Every token of the parser's tree that holds source text (scalars, spaces, indicators, comments). */
function forEachSourceToken(node: unknown, visit: (token: SourceToken) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) forEachSourceToken(child, visit);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const token = node as any;
  if (typeof token.source === 'string' && typeof token.offset === 'number') visit(token);
  for (const field of ['start', 'items', 'key', 'sep', 'value', 'end']) forEachSourceToken(token[field], visit);
  if (token.type !== 'block-scalar') forEachSourceToken(token.props, visit);
  else for (const prop of token.props ?? []) visit(prop);
}

/** The two readings of the same source, side by side: every scalar (keys too) that they read differently. */
function compareReadings(pyyaml: unknown, yaml12: unknown, path: string, problems: Problems, what = ''): void {
  if (isScalar(pyyaml) && isScalar(yaml12)) {
    const offset = yaml12.range?.[0] ?? 0;
    const text = `${what}${yaml12.source ?? String(yaml12.value)}`;
    if (yaml12.type === 'PLAIN' && yaml12.value === '=') {
      problems.add(offset, '', (at) => `the plain value = at ${at}: PyYAML (cloud-init) cannot read it (no constructor for tag:yaml.org,2002:value); quote it`);
    } else if (typeof pyyaml.value === 'symbol') {
      problems.add(offset, '', (at) => `${text} at ${at} is a merge key for PyYAML (cloud-init), an ordinary key "<<" for YAML 1.2: write the entries out`);
    } else if (!sameValue(pyyaml.value, yaml12.value)) {
      problems.add(offset, '', (at) => `PyYAML (cloud-init) reads ${text} at ${at} as ${describe(pyyaml.value)}, YAML 1.2 as `
        + `${describe(yaml12.value)}: write it so that both read the same (quote a string)`);
    }
  } else if (isMap(pyyaml) && isMap(yaml12)) {
    yaml12.items.forEach((pair, i) => {
      const other = pyyaml.items[i];
      const at = `${path}/${segment(pair.key)}`;
      compareReadings(other?.key, pair.key, at, problems, 'the key ');
      compareReadings(other?.value, pair.value, at, problems);
    });
  } else if (isSeq(pyyaml) && isSeq(yaml12)) {
    yaml12.items.forEach((item, i) => compareReadings(pyyaml.items[i], item, `${path}/${i}`, problems));
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  return Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && a === b);
}

function describe(value: unknown): string {
  if (value instanceof Date) return `the date ${value.toISOString().replace(/T00:00:00\.000Z$/, '')}`;
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/** The JSON path of the innermost value around `offset` (the value of the last entry that starts before it). */
function pathAt(node: unknown, offset: number, path: string): string {
  if (isMap(node)) {
    let found: any;
    for (const pair of node.items) {
      const start = (pair.key as any)?.range?.[0] ?? (pair.value as any)?.range?.[0];
      if (start === undefined || start > offset) break;
      found = pair;
    }
    if (!found) return path;
    const at = `${path}/${segment(found.key)}`;
    const value = found.value;
    return value?.range && offset >= value.range[0] && offset < value.range[2] ? pathAt(value, offset, at) : at;
  }
  if (isSeq(node)) {
    let index = -1;
    node.items.forEach((item: any, i) => {
      if (item?.range && item.range[0] <= offset) index = i;
    });
    if (index < 0) return path;
    const item: any = node.items[index];
    return offset < item.range[2] ? pathAt(item, offset, `${path}/${index}`) : `${path}/${index}`;
  }
  return path;
}

/** A map key as a JSON-pointer segment. */
function segment(key: unknown): string {
  const text = isScalar(key) ? String(key.value) : '?';
  return text.replace(/~/g, '~0').replace(/\//g, '~1');
}
