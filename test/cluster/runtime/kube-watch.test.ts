import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError } from '../../../lib/cluster/runtime/errors';
import { KubeClient, SECRET } from '../../../lib/cluster/runtime/kube';
import { kubeConnection } from '../../../lib/cluster/runtime/kube-connection';
import { watch, WatchEvent } from '../../../lib/cluster/runtime/kube-watch';
import { Logger } from '../../../lib/cluster/runtime/log';
import { FakeKube } from '../fake-kube';

// The watch with resume, against the fake API server (../fake-kube.ts), which ends watches, sends
// bookmarks, breaks connections and expires resourceVersions (410 Gone as an ERROR event, and as an
// answer) as the API server does.

const NS = 'ci';
const SECRETS = 'secrets';
let dir: string;
let kube: FakeKube;
let client: KubeClient;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runtime-watch-'));
  writeFileSync(join(dir, 'token'), 'sa-token');
  kube = new FakeKube({ token: 'sa-token' });
  await kube.start();
  kube.put(SECRETS, { metadata: { name: 'token', namespace: NS }, data: { token: 'MA==' } });
  const log = new Logger('test', () => true, () => true);
  client = new KubeClient(kubeConnection({ apiUrl: kube.url, tokenFile: join(dir, 'token') }, log, {}), { log, retryBaseDelayMs: 2, client: 'test' });
});

afterEach(async () => {
  await kube.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(kube.violations).toEqual([]);
});

/** Someone else writes the Secret (a MODIFIED event); resolves its new resourceVersion. */
const change = (value: string) => {
  kube.modify(SECRETS, NS, 'token', { data: { token: Buffer.from(value).toString('base64') } });
  return kube.object(SECRETS, NS, 'token').metadata.resourceVersion as string;
};
const versionOf = (object: any) => object.metadata.resourceVersion as string;
/** Resolves once the client under test has got as far as `predicate` says (kube.until waits on the fake's side). */
const eventually = async (predicate: () => boolean) => {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
};
const watchQueries = () => kube.requests.filter((r) => r.url.includes('watch=1')).map((r) => new URL(r.url, 'http://x').searchParams);

test('lists, watches from the list\'s resourceVersion, resumes from the last one seen (bookmarks too), relists on 410 Gone', async () => {
  const lists: string[][] = [];
  const seen: string[] = [];
  const restarts: string[] = [];
  const created = versionOf(kube.object(SECRETS, NS, 'token'));
  let changed = '';
  const done = watch(client, SECRET, NS, {
    fieldSelector: 'metadata.name=token',
    timeoutSeconds: 60,
    onList: (items) => {
      lists.push(items.map(versionOf));
      // A change between the list and the watch is not missed: the watch starts from the list's version.
      if (lists.length === 1) changed = change('1');
      // The second relist's watch is answered 410 Gone itself (not an ERROR event).
      if (lists.length === 2) kube.inject('GET', SECRETS, { status: 410, reason: 'Expired', message: 'too old resource version' }, { watch: true });
    },
    onEvent: (event: WatchEvent) => {
      seen.push(`${event.type} ${versionOf(event.object)}`);
      return event.type === 'DELETED';
    },
    onRestart: (why) => restarts.push(why),
  });
  // The first watch: the change, then a bookmark past it (another Secret changed), then the watch ends.
  await eventually(() => kube.openWatches === 1 && seen.length === 1);
  kube.put(SECRETS, { metadata: { name: 'unrelated', namespace: NS } });
  const bookmarked = versionOf(kube.object(SECRETS, NS, 'unrelated'));
  kube.bookmark();
  kube.expireNextWatch();
  kube.endWatches();
  // Resumed from the bookmark: expired (ERROR 410); relisted; that watch is refused 410; relisted again.
  await eventually(() => lists.length === 3 && kube.openWatches === 1);
  kube.remove(SECRETS, NS, 'token');
  await done;

  const [first, second, third] = kube.listedVersions;
  expect([first, second, third]).toEqual([created, bookmarked, bookmarked]);
  expect(lists).toEqual([[created], [changed], [changed]]);
  expect(seen).toEqual([`MODIFIED ${changed}`, `DELETED ${Number(bookmarked) + 1}`]);
  expect(restarts).toEqual(['expired (ERROR 410 Expired); listing again', 'expired (Expired); listing again']);
  expect(watchQueries().map((q) => q.get('resourceVersion'))).toEqual([first, bookmarked, second, third]);
  expect(watchQueries().every((q) => q.get('allowWatchBookmarks') === 'true' && q.get('timeoutSeconds') === '60' && q.get('fieldSelector') === 'metadata.name=token')).toBe(true);
  expect(kube.requests.filter((r) => !r.url.includes('watch=1')).map((r) => r.url)).toEqual(Array(3).fill('/api/v1/namespaces/ci/secrets?fieldSelector=metadata.name%3Dtoken'));
});

test('a watch that breaks is resumed from where it was; a stop aborts with AbortedError', async () => {
  const abort = new AbortController();
  const restarts: string[] = [];
  const events: string[] = [];
  const done = watch(client, SECRET, NS, {
    fieldSelector: 'metadata.name=token', signal: abort.signal, onList: () => false, onEvent: (e) => void events.push(versionOf(e.object)), onRestart: (why) => restarts.push(why),
  }).catch((e) => e);
  await kube.until(() => kube.openWatches === 1);
  const changed = change('1');
  await eventually(() => events.length === 1);
  kube.dropWatches();
  await kube.until(() => kube.openWatches === 1);
  abort.abort();
  expect(await done).toBeInstanceOf(AbortedError);
  expect(events).toEqual([changed]);
  expect(restarts).toHaveLength(1);
  expect(restarts[0]).toMatch(/^the watch broke \(.*\); resuming$/);
  expect(kube.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('resourceVersion'))).toEqual([null, kube.listedVersions[0], changed]);
});

test('a handler that throws ends the watch with its error', async () => {
  const done = watch(client, SECRET, NS, { fieldSelector: 'metadata.name=token', onList: () => false, onEvent: () => { throw new Error('cannot read it'); } });
  await kube.until(() => kube.openWatches === 1);
  change('1');
  await expect(done).rejects.toThrow('cannot read it');
});
