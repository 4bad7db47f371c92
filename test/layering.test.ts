import { join } from 'node:path';
import { cycles, importGraph } from './import-graph';

// The floors of lib/, lowest first: a file imports only from its own floor or below, and no import
// closes a cycle. Primitives know nothing of runners; the spec (resolvers and the resolved types)
// never imports a renderer or a construct; renderers never import a construct.
const FLOORS: readonly { readonly name: string; readonly holds: (file: string) => boolean }[] = [
  { name: 'primitives (lib/private/)', holds: (f) => f.startsWith('private/') },
  {
    name: 'value objects (lib/github.ts, os-image.ts, runner-release.ts, platform.ts, kubevirt-options.ts, affinity.ts)',
    holds: (f) => ['github.ts', 'os-image.ts', 'runner-release.ts', 'platform.ts', 'kubevirt-options.ts', 'affinity.ts'].includes(f),
  },
  { name: 'spec (lib/spec/)', holds: (f) => f.startsWith('spec/') },
  { name: 'renderers, in-cluster runtime and validator (lib/render/, lib/cluster/, lib/validate/)', holds: (f) => /^(render|cluster|validate)\//.test(f) },
  { name: 'constructs (lib/runner-*.ts)', holds: (f) => /^runner-[a-z-]+\.ts$/.test(f) },
  { name: 'public exports (lib/index.ts)', holds: (f) => f === 'index.ts' },
];

const LIB = join(__dirname, '..', 'lib');

function floorOf(file: string): number {
  const floor = FLOORS.findIndex((f) => f.holds(file));
  if (floor < 0) throw new Error(`lib/${file} is on no floor: put it in lib/private/, lib/spec/, lib/render/ or name it lib/runner-*.ts`);
  return floor;
}

describe('the layers of lib/', () => {
  const graph = importGraph(LIB);

  test('every file of lib/ is on a floor', () => {
    expect([...graph.keys()].filter((file) => !FLOORS.some((f) => f.holds(file)))).toEqual([]);
  });

  test('no file imports from a floor above its own', () => {
    const upward = [...graph].flatMap(([file, targets]) => targets
      .filter((target) => floorOf(target) > floorOf(file))
      .map((target) => `lib/${file} (${FLOORS[floorOf(file)].name}) imports lib/${target} (${FLOORS[floorOf(target)].name})`));
    expect(upward).toEqual([]);
  });

  test('no import cycle', () => {
    expect(cycles(graph).map((cycle) => cycle.map((file) => `lib/${file}`).join(' -> '))).toEqual([]);
  });

  test('the checks see what they check: a cycle and an upward import are found', () => {
    const planted = new Map([['private/a.ts', ['spec/b.ts']], ['spec/b.ts', ['private/a.ts']]]);
    expect(cycles(planted)).toEqual([['private/a.ts', 'spec/b.ts', 'private/a.ts']]);
    expect(floorOf('private/a.ts')).toBeLessThan(floorOf('spec/b.ts'));
    // The graph is read from source: the spec's resolvers import the primitives.
    expect(graph.get('spec/pool.ts')).toEqual(expect.arrayContaining(['private/validators.ts', 'spec/guest.ts']));
  });
});
