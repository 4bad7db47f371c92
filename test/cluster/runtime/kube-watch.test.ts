import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError } from '../../../lib/cluster/runtime/errors';
import { KubeClient, SECRET } from '../../../lib/cluster/runtime/kube';
import { kubeConnection } from '../../../lib/cluster/runtime/kube-connection';
import { watch, WatchEvent } from '../../../lib/cluster/runtime/kube-watch';
import { Logger } from '../../../lib/cluster/runtime/log';
import { json, kubeStatus, ScriptedServer } from './scripted-server';

// The watch with resume, against a server that ends watches, sends bookmarks and expires
// resourceVersions (410 Gone as an answer and as an ERROR event) as the API server does.

let dir: string;
let server: ScriptedServer;

afterEach(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const secret = (rv: string) => ({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'token', namespace: 'ci', resourceVersion: rv } });
const list = (res: ServerResponse, rv: string) => json(res, 200, { kind: 'SecretList', apiVersion: 'v1', metadata: { resourceVersion: rv }, items: [secret(String(Number(rv) - 1))] });

function events(res: ServerResponse, lines: unknown[], end = true): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  for (const line of lines) res.write(`${JSON.stringify(line)}\n`);
  if (end) res.end();
}

async function start(handler: ConstructorParameters<typeof ScriptedServer>[0]): Promise<KubeClient> {
  dir = mkdtempSync(join(tmpdir(), 'runtime-watch-'));
  writeFileSync(join(dir, 'token'), 'sa-token');
  server = new ScriptedServer(handler);
  const apiUrl = await server.start();
  const log = new Logger('test', () => true, () => true);
  return new KubeClient(kubeConnection({ apiUrl, tokenFile: join(dir, 'token') }, log, {}), { log, retryBaseDelayMs: 2, client: 'test' });
}

test('lists, watches from the list\'s resourceVersion, resumes from the last one seen (bookmarks too), relists on 410 Gone', async () => {
  const kube = await start((_req, res, i) => {
    switch (i) {
      case 0: return list(res, '10');
      case 1: return events(res, [{ type: 'MODIFIED', object: secret('11') }, { type: 'BOOKMARK', object: { kind: 'Secret', apiVersion: 'v1', metadata: { resourceVersion: '15' } } }]);
      case 2: return events(res, [{ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 15 (18)', reason: 'Expired', code: 410 } }], false);
      case 3: return list(res, '20');
      case 4: return kubeStatus(res, 410, 'Expired', 'too old resource version: 20 (25)');
      case 5: return list(res, '30');
      default: return events(res, [{ type: 'DELETED', object: secret('31') }], false);
    }
  });
  const lists: string[][] = [];
  const seen: string[] = [];
  const restarts: string[] = [];
  await watch(kube, SECRET, 'ci', {
    fieldSelector: 'metadata.name=token',
    timeoutSeconds: 60,
    onList: (items) => void lists.push(items.map((o: any) => o.metadata.resourceVersion)),
    onEvent: (event: WatchEvent) => {
      seen.push(`${event.type} ${(event.object as any).metadata.resourceVersion}`);
      return event.type === 'DELETED';
    },
    onRestart: (why) => restarts.push(why),
  });
  expect(lists).toEqual([['9'], ['19'], ['29']]);
  expect(seen).toEqual(['MODIFIED 11', 'DELETED 31']);
  expect(restarts).toEqual(['expired (ERROR 410 Expired); listing again', 'expired (Expired); listing again']);
  const watches = server.requests.filter((r) => r.url.includes('watch=1')).map((r) => new URL(r.url, 'http://x').searchParams);
  expect(watches.map((q) => q.get('resourceVersion'))).toEqual(['10', '15', '20', '30']);
  expect(watches.every((q) => q.get('allowWatchBookmarks') === 'true' && q.get('timeoutSeconds') === '60' && q.get('fieldSelector') === 'metadata.name=token')).toBe(true);
  expect(server.requests.filter((r) => !r.url.includes('watch=1')).map((r) => r.url)).toEqual(Array(3).fill('/api/v1/namespaces/ci/secrets?fieldSelector=metadata.name%3Dtoken'));
});

test('a watch that breaks is resumed from where it was; a stop aborts with AbortedError', async () => {
  const abort = new AbortController();
  const kube = await start((_req, res, i) => {
    if (i === 0) return list(res, '10');
    if (i === 1) {
      events(res, [{ type: 'ADDED', object: secret('12') }], false);
      return setTimeout(() => res.socket!.destroy(), 20);
    }
    events(res, [], false);
    setTimeout(() => abort.abort(), 20);
  });
  const restarts: string[] = [];
  const error = await watch(kube, SECRET, 'ci', { signal: abort.signal, onList: () => false, onEvent: () => false, onRestart: (why) => restarts.push(why) }).catch((e) => e);
  expect(error).toBeInstanceOf(AbortedError);
  expect(restarts).toHaveLength(1);
  expect(restarts[0]).toMatch(/^the watch broke \(.*\); resuming$/);
  expect(server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('resourceVersion'))).toEqual([null, '10', '12']);
});

test('a handler that throws ends the watch with its error', async () => {
  const kube = await start((_req, res, i) => (i === 0 ? list(res, '10') : events(res, [{ type: 'ADDED', object: secret('11') }], false)));
  await expect(watch(kube, SECRET, 'ci', { onList: () => false, onEvent: () => { throw new Error('cannot read it'); } })).rejects.toThrow('cannot read it');
});
