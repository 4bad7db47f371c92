import { AbortedError, KubeStatusError } from './errors';
import { isObject, type HttpStream } from './http';
import { KubeClient, type KubeResource, selectorQuery } from './kube';
import { backoffMs, sleep } from './retry';

// A watch that resumes: it lists once (the handler sees the current objects), then watches from the
// list's resourceVersion; when a watch ends (the API server's timeoutSeconds) or breaks, it watches
// again from the last resourceVersion it saw (bookmarks included), and when the API server says that
// version is gone (410 Gone, as an answer or as an ERROR event), it lists again. Nothing is missed
// and nothing is read twice without a relist the handler is told about.

/** The API server ends each watch after this long; the client then resumes. */
export const WATCH_SECONDS = 300;

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Record<string, unknown>;
}

/** What a handler answers: true to stop watching. */
type Stop = boolean | void;

export interface WatchOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Stops the watch: `watch` rejects with AbortedError. */
  readonly signal?: AbortSignal;
  /** The objects now, at the start and after each relist. */
  onList(items: Record<string, unknown>[]): Stop | Promise<Stop>;
  /** Each change after that. */
  onEvent(event: WatchEvent): Stop | Promise<Stop>;
  /** A relist or a resume, and why: for the log. */
  onRestart?(why: string): void;
  /** @default WATCH_SECONDS */
  readonly timeoutSeconds?: number;
  /** Watch from this resourceVersion (of an object the client has just written) instead of listing first. @default list first */
  readonly resourceVersion?: string;
  /** Attempts to open each watch and to list (@default MAX_ATTEMPTS; Infinity: until `signal`). */
  readonly attempts?: number;
}

interface Round {
  readonly stop: boolean;
  /** Where to resume; undefined: list again. */
  readonly resourceVersion: string | undefined;
  readonly events: number;
  readonly problem?: string;
}

/** Watches a collection until a handler answers true. */
export async function watch(client: KubeClient, resource: KubeResource, namespace: string | undefined, options: WatchOptions): Promise<void> {
  let resourceVersion = options.resourceVersion || undefined;
  let quiet = 0;
  for (;;) {
    if (resourceVersion === undefined) {
      const list = await client.list(resource, namespace, options);
      if (await options.onList(list.items)) return;
      resourceVersion = list.resourceVersion;
    }
    const round = await watchOnce(client, resource, namespace, resourceVersion, options);
    if (round.stop) return;
    if (round.problem) options.onRestart?.(round.problem);
    resourceVersion = round.resourceVersion;
    // A server that keeps ending watches at once must not make the client spin.
    quiet = round.events > 0 ? 0 : quiet + 1;
    if (quiet > 1) await sleep(backoffMs(client.options.retryBaseDelayMs, quiet - 1), options.signal);
  }
}

async function watchOnce(client: KubeClient, resource: KubeResource, namespace: string | undefined, from: string, options: WatchOptions): Promise<Round> {
  const timeoutSeconds = options.timeoutSeconds ?? WATCH_SECONDS;
  const query = [selectorQuery(options), `watch=1&resourceVersion=${encodeURIComponent(from)}&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}`]
    .filter((part) => part !== '').join('&');
  const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
  const answer = await client.openWatch({
    what: `watch ${resource.plural}${where}`, method: 'GET', path: `${KubeClient.path(resource, namespace)}?${query}`,
    signal: options.signal, attempts: options.attempts,
    // The server ends the watch itself; a connection silent for a request timeout longer is dead.
    timeoutMs: (timeoutSeconds + 30) * 1000,
  });
  if (answer instanceof KubeStatusError) return { stop: false, resourceVersion: undefined, events: 0, problem: `expired (${answer.reason || answer.code}); listing again` };
  return readEvents(answer, from, options);
}

/** Reads one watch stream, line by line (one JSON event per line), handing events to the handler. */
function readEvents(answer: HttpStream, from: string, options: WatchOptions): Promise<Round> {
  return new Promise((resolve, reject) => {
    const { stream } = answer;
    let resourceVersion: string | undefined = from;
    let events = 0;
    let buffer = '';
    let settled = false;
    let queue: Promise<void> = Promise.resolve();
    const finish = (result: Omit<Round, 'events' | 'resourceVersion'> & { readonly relist?: boolean }, error?: unknown) => {
      if (settled) return;
      settled = true;
      answer.close();
      if (error !== undefined) return reject(error);
      if (answer.failure() instanceof AbortedError) return reject(answer.failure());
      resolve({ stop: result.stop, problem: result.problem, events, resourceVersion: result.relist ? undefined : resourceVersion });
    };
    const handle = async (line: string) => {
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        return finish({ stop: false, problem: 'the watch sent a line that is not JSON; resuming' });
      }
      if (!isObject(event) || !isObject(event.object)) return;
      const object = event.object;
      const version = isObject(object.metadata) && typeof object.metadata.resourceVersion === 'string' ? object.metadata.resourceVersion : undefined;
      switch (event.type) {
        case 'BOOKMARK':
          if (version) resourceVersion = version;
          return;
        case 'ERROR': {
          const code = typeof object.code === 'number' ? object.code : 0;
          const reason = typeof object.reason === 'string' ? object.reason : '';
          return finish({ stop: false, relist: true, problem: `${code === 410 ? 'expired' : 'failed'} (ERROR ${code} ${reason}); listing again` });
        }
        case 'ADDED':
        case 'MODIFIED':
        case 'DELETED':
          events++;
          if (version) resourceVersion = version;
          if (await options.onEvent({ type: event.type, object })) finish({ stop: true });
          return;
        default:
          return;
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 1);
        // Events are handled one after the other, even when a handler awaits.
        if (line) queue = queue.then(() => (settled ? undefined : handle(line))).catch((error) => finish({ stop: false }, error));
      }
    });
    stream.on('end', () => {
      queue = queue.then(() => finish({ stop: false, ...(buffer.trim() ? { problem: 'the watch ended in the middle of an event; resuming' } : {}) }));
    });
    stream.on('close', () => {
      queue = queue.then(() => finish({ stop: false, problem: `the watch broke (${answer.failure()?.message ?? 'connection closed'}); resuming` }));
    });
  });
}
