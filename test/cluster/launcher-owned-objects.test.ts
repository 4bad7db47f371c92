import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADOPTED, OwnedObjects } from '../../lib/cluster/launcher/owned-objects';
import { buildJitSecret } from '../../lib/cluster/launcher/vm-objects';
import { KubeClient, SECRET } from '../../lib/cluster/runtime/kube';
import { kubeConnection } from '../../lib/cluster/runtime/kube-connection';
import { Logger } from '../../lib/cluster/runtime/log';
import { FakeKube } from './fake-kube';

// A launcher's own objects (lib/cluster/launcher/owned-objects.ts) when their create answers 409
// AlreadyExists: this pod's object is adopted, with a line that says how it can be this pod's (an
// attempt whose answer was lost, or a run before the container restarted); a JIT Secret of this pod
// with another JIT config (a run before a restart registered another runner) is replaced.

const NS = 'ci';
const POD = { name: 'arc-runners-abcde-runner-x1y2z', namespace: NS, uid: randomUUID() };
const SECRET_NAME = `${POD.name}-jit`;

let dir: string;
let api: FakeKube;
let lines: string[];
let kube: KubeClient;
let owned: OwnedObjects;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'owned-objects-'));
  writeFileSync(join(dir, 'token'), 'sa-token\n');
  api = new FakeKube({ token: 'sa-token' });
  await api.start();
  lines = [];
  const log = new Logger('mint-launcher', (t) => lines.push(t), (t) => lines.push(t));
  // A short deadline per request: the lost answer's attempt times out quickly.
  kube = new KubeClient(kubeConnection({ apiUrl: api.url, tokenFile: join(dir, 'token') }, log, {}), { log, retryBaseDelayMs: 5, client: 'test', requestTimeoutMs: 300 });
  owned = new OwnedObjects(kube, POD, log);
});

afterEach(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(api.violations).toEqual([]);
});

const signal = new AbortController().signal;
const secretPosts = () => api.requestsOf('POST', '/secrets');
const secretDeletes = () => api.requestsOf('DELETE', '/secrets');

describe('OwnedObjects.createOrAdopt: a 409 for an object of this pod', () => {
  test('the create\'s answer was lost (stored, then a timeout): the retry\'s 409 adopts it, and the line says so plainly', async () => {
    api.inject('POST', 'secrets', { lostAnswer: true });
    const stored = await owned.createOrAdopt(SECRET, buildJitSecret(POD, SECRET_NAME, 'jit-config-one'), signal);
    expect(stored.metadata.uid).toBe(api.object('secrets', NS, SECRET_NAME).metadata.uid);
    expect(secretPosts()).toHaveLength(2);
    // Its own JIT config: kept, not deleted and made again.
    expect(secretDeletes()).toEqual([]);
    expect(lines.join('')).toMatch(/create Secret ci\/\S+: no complete answer within 0\.3s; retry 1 of 5/);
    expect(lines.at(-1)).toBe(`mint-launcher: adopted Secret ${NS}/${SECRET_NAME}: ${ADOPTED}\n`);
    expect(ADOPTED).toBe('this pod created it (an earlier attempt whose answer was lost, or before its container restarted)');
    expect(owned.wasAdopted(SECRET, SECRET_NAME)).toBe(true);
    await owned.cleanup();
    expect(api.object('secrets', NS, SECRET_NAME)).toBeUndefined();
  });

  test('a JIT Secret of this pod with another JIT config (a run before a container restart): replaced, by its uid', async () => {
    const before = await owned.createOrAdopt(SECRET, buildJitSecret(POD, SECRET_NAME, 'jit-config-of-the-last-run'), signal);
    lines.length = 0;
    const again = new OwnedObjects(kube, POD, new Logger('mint-launcher', (t) => lines.push(t), (t) => lines.push(t)));
    const after = await again.createOrAdopt(SECRET, buildJitSecret(POD, SECRET_NAME, 'jit-config-of-this-run'), signal);
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(Buffer.from(api.object('secrets', NS, SECRET_NAME).data.jitToken, 'base64').toString()).toBe('jit-config-of-this-run');
    expect(secretDeletes().map((r) => JSON.parse(r.body).preconditions)).toEqual([{ uid: before.metadata.uid }]);
    expect(lines[0]).toBe(`mint-launcher: replacing Secret ${NS}/${SECRET_NAME}: this pod created it with another JIT config before its container restarted\n`);
    expect(again.wasAdopted(SECRET, SECRET_NAME)).toBe(false);
  });
});
