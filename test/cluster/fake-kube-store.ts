import { randomUUID } from 'node:crypto';
import { ServerResponse } from 'node:http';
import { schemaProblems } from './fake-kube-admission';
import { apiVersionOf, mergePatch, Plural, RESOURCES, statusObject } from './fake-kube-wire';

// The fake Kubernetes API's state: objects by resource, namespace and name, the event history with
// string resourceVersions, and the watch streams that follow it. ./fake-kube.ts serves it over HTTP.

export type Reply = (status: number, object: unknown) => void;
interface Watcher {
  readonly plural: Plural; readonly namespace: string; readonly name?: string; readonly labels: LabelSelector; readonly bookmarks: boolean; readonly res: ServerResponse;
}
type LabelSelector = (labels: Readonly<Record<string, string>>) => boolean;
interface StoredEvent { readonly rv: number; readonly plural: Plural; readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: any; readonly previous?: any }

export class KubeStore {
  /** The resourceVersion of every list answer, in order. */
  public readonly listedVersions: string[] = [];
  public watchesOpened = 0;
  /** The most watches open at once. */
  public peakWatches = 0;
  protected readonly store = new Map<string, any>();
  protected readonly history: StoredEvent[] = [];
  protected readonly watchers = new Set<Watcher>();
  protected readonly waiters = new Set<() => void>();
  /** Requests a client should not have sent; filled by the server. */
  public readonly violations: string[] = [];
  private expiringWatches = 0;
  private resourceVersion = 1000;


  /** Resolves once `predicate` holds; checked again after every request and every change. */
  public until(predicate: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }


  /** A copy of the stored object, or undefined. */
  public object(plural: Plural, namespace: string, name: string): any {
    const stored = this.store.get(key(plural, namespace, name));
    return stored === undefined ? undefined : structuredClone(stored);
  }


  public get openWatches(): number {
    return this.watchers.size;
  }


  /** Stores an object as someone else created it (`kubectl apply`; an ADDED event). It must be schema-valid. */
  public put(plural: Plural, object: any): any {
    const { group, kind } = RESOURCES[plural];
    const stored = { apiVersion: apiVersionOf(plural), kind, ...(plural === 'secrets' ? { type: 'Opaque' } : {}), ...structuredClone(object) };
    const problems = schemaProblems(stored);
    if (problems.length > 0) throw new Error(`fake API: invalid ${kind}: ${problems.join('; ')}`);
    stored.metadata = {
      uid: randomUUID(), creationTimestamp: now(), ...(group ? { generation: 1 } : {}), ...stored.metadata, resourceVersion: this.nextVersion(),
    };
    const previous = this.store.get(key(plural, stored.metadata.namespace, stored.metadata.name));
    this.store.set(key(plural, stored.metadata.namespace, stored.metadata.name), stored);
    this.emit('ADDED', plural, stored, previous);
    return structuredClone(stored);
  }


  /** Changes an object as someone else would (`kubectl patch --type merge`; a MODIFIED event). The result must be schema-valid. */
  public modify(plural: Plural, namespace: string, name: string, patch: object): void {
    const updated = mergePatch(this.existing(plural, namespace, name), patch);
    const problems = schemaProblems(updated);
    if (problems.length > 0) throw new Error(`fake API: invalid ${RESOURCES[plural].kind}: ${problems.join('; ')}`);
    this.write(plural, { ...updated, metadata: { ...updated.metadata, resourceVersion: this.nextVersion() } });
  }


  /** Replaces an object's status, as its controller does (a MODIFIED event). */
  public setStatus(plural: Plural, namespace: string, name: string, status: any): void {
    const current = this.existing(plural, namespace, name);
    this.write(plural, { ...current, metadata: { ...current.metadata, resourceVersion: this.nextVersion() }, status });
  }


  /**
   * Starts a graceful deletion, as the API server does for an object with finalizers (a VMI: KubeVirt
   * shuts its guest down first): metadata.deletionTimestamp is set (a MODIFIED event); remove() ends it.
   */
  public beginDeletion(plural: Plural, namespace: string, name: string): void {
    const current = this.existing(plural, namespace, name);
    this.write(plural, { ...current, metadata: { ...current.metadata, resourceVersion: this.nextVersion(), deletionTimestamp: now(), deletionGracePeriodSeconds: 30 } });
  }


  /** Deletes an object as someone else would (a DELETED event). */
  public remove(plural: Plural, namespace: string, name: string): void {
    this.delete(plural, this.existing(plural, namespace, name));
  }


  /** Ends every open watch the way the API server does at its timeout. */
  public endWatches(): void {
    for (const watcher of this.watchers) watcher.res.end();
    this.watchers.clear();
  }


  /** Breaks every open watch's connection in the middle of the stream. */
  public dropWatches(): void {
    for (const watcher of this.watchers) watcher.res.socket?.destroy();
    this.watchers.clear();
  }


  /** The next watch request gets an ERROR event with 410 Expired (its resourceVersion was compacted away). */
  public expireNextWatch(): void {
    this.expiringWatches++;
  }


  /** Sends a BOOKMARK (the kind, with only metadata.resourceVersion) to every open watch that asked for bookmarks. */
  public bookmark(): void {
    for (const watcher of this.watchers) {
      if (!watcher.bookmarks) continue;
      const { kind } = RESOURCES[watcher.plural];
      send(watcher.res, { type: 'BOOKMARK', object: { kind, apiVersion: apiVersionOf(watcher.plural), metadata: { resourceVersion: String(this.resourceVersion) } } });
    }
  }


  protected existing(plural: Plural, namespace: string, name: string): any {
    const current = this.store.get(key(plural, namespace, name));
    if (!current) throw new Error(`fake API: no ${plural} ${namespace}/${name}`);
    return current;
  }


  protected nextVersion(): string {
    return String(++this.resourceVersion);
  }


  protected write(plural: Plural, object: any, type: 'ADDED' | 'MODIFIED' = 'MODIFIED'): void {
    const previous = this.store.get(key(plural, object.metadata.namespace, object.metadata.name));
    this.store.set(key(plural, object.metadata.namespace, object.metadata.name), object);
    this.emit(type, plural, object, previous);
  }


  protected emit(type: StoredEvent['type'], plural: Plural, object: any, previous?: any): void {
    const event: StoredEvent = { rv: Number(object.metadata.resourceVersion), plural, type, object: structuredClone(object), previous: structuredClone(previous) };
    this.history.push(event);
    for (const watcher of this.watchers) {
      const seen = eventFor(watcher, event);
      if (seen) send(watcher.res, seen);
    }
    this.changed();
  }


  protected changed(): void {
    for (const check of [...this.waiters]) check();
  }


  protected list(plural: Plural, namespace: string, url: URL, reply: Reply): void {
    const name = nameSelector(url);
    const labels = this.labelSelector(plural, url);
    if (!labels) return reply(400, statusObject(400, `unable to parse requirement: ${url.searchParams.get('labelSelector')}`, 'BadRequest'));
    const items = [...this.store.entries()].filter(([k]) => k.startsWith(`${plural}/${namespace}/`)).map(([, o]) => o)
      .filter((o) => (name === undefined || o.metadata.name === name) && labels(o.metadata.labels ?? {}));
    const resourceVersion = String(this.resourceVersion);
    this.listedVersions.push(resourceVersion);
    reply(200, { apiVersion: apiVersionOf(plural), kind: RESOURCES[plural].listKind, metadata: { resourceVersion }, items });
  }


  protected watch(plural: Plural, namespace: string, url: URL, res: ServerResponse): void {
    const name = nameSelector(url);
    const labels = this.labelSelector(plural, url);
    if (!labels) {
      return void res.writeHead(400, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(statusObject(400, `unable to parse requirement: ${url.searchParams.get('labelSelector')}`, 'BadRequest')));
    }
    const from = url.searchParams.get('resourceVersion') ?? '';
    if (name === undefined || !/^[1-9]\d*$/.test(from)) this.violations.push(`watch ${plural}${url.search}: not one object by name, from a list's resourceVersion`);
    this.watchesOpened++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    if (this.expiringWatches > 0) {
      this.expiringWatches--;
      send(res, { type: 'ERROR', object: statusObject(410, `too old resource version: ${from} (${this.resourceVersion})`, 'Expired') });
      return void res.end();
    }
    const watcher: Watcher = { plural, namespace, name, labels, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res };
    if (/^[1-9]\d*$/.test(from)) {
      for (const event of this.history) {
        const seen = event.rv > Number(from) ? eventFor(watcher, event) : undefined;
        if (seen) send(res, seen);
      }
    } else {
      // No resourceVersion ("" or "0"): the current state as synthetic ADDED events, then changes.
      for (const [k, object] of this.store) {
        if (k.startsWith(`${plural}/${namespace}/`) && (name === undefined || object.metadata.name === name) && labels(object.metadata.labels ?? {})) send(res, { type: 'ADDED', object });
      }
    }
    this.watchers.add(watcher);
    this.peakWatches = Math.max(this.peakWatches, this.watchers.size);
    // The API server ends a watch after its timeoutSeconds.
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds'));
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }


  /** The request's labelSelector as a predicate (everything without one); undefined, and a violation, when it does not parse. */
  private labelSelector(plural: Plural, url: URL): LabelSelector | undefined {
    const selector = url.searchParams.get('labelSelector');
    const requirements = selector ? selector.split(/,(?![^(]*\))/).map(parseRequirement) : [];
    if (requirements.some((r) => r === undefined)) {
      this.violations.push(`${plural}: labelSelector ${JSON.stringify(selector)} does not parse`);
      return undefined;
    }
    return (labels) => requirements.every((r) => r!(labels));
  }


  protected delete(plural: Plural, current: any): any {
    const { namespace, name } = current.metadata;
    this.store.delete(key(plural, namespace, name));
    const deleted = { ...current, metadata: { ...current.metadata, resourceVersion: this.nextVersion(), deletionTimestamp: now() } };
    this.emit('DELETED', plural, deleted, current);
    return deleted;
  }
}

export const key = (plural: Plural, namespace: string, name: string) => `${plural}/${namespace}/${name}`;
export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

const selects = (watcher: Watcher, plural: Plural, object: any) => watcher.plural === plural && object.metadata.namespace === watcher.namespace
  && (watcher.name === undefined || object.metadata.name === watcher.name) && watcher.labels(object.metadata.labels ?? {});

/**
 * What a watcher sees of an event, as the watch cache filters it (cacheWatcher.convertToWatchEvent):
 * an object that comes into the selection is ADDED, one that leaves it is DELETED (its last selected
 * state at the event's resourceVersion).
 */
function eventFor(watcher: Watcher, event: StoredEvent): { type: StoredEvent['type']; object: any } | undefined {
  const now = event.type !== 'DELETED' && selects(watcher, event.plural, event.object);
  const before = event.previous !== undefined && selects(watcher, event.plural, event.previous);
  if (now) return { type: before ? event.type : 'ADDED', object: event.object };
  if (!before) return undefined;
  if (event.type === 'DELETED') return { type: 'DELETED', object: event.object };
  return { type: 'DELETED', object: { ...event.previous, metadata: { ...event.previous.metadata, resourceVersion: event.object.metadata.resourceVersion } } };
}

function nameSelector(url: URL): string | undefined {
  const selector = url.searchParams.get('fieldSelector');
  if (selector === null) return undefined;
  return /^metadata\.name=([^,]+)$/.exec(selector)?.[1] ?? '\0no such name';
}

/** One requirement of a label selector (k8s.io/apimachinery/pkg/labels): `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`. */
function parseRequirement(text: string): LabelSelector | undefined {
  const requirement = text.trim();
  const key = '([A-Za-z0-9][-A-Za-z0-9_./]*)';
  let m = new RegExp(`^(!?)${key}$`).exec(requirement);
  if (m) return (labels) => Object.hasOwn(labels, m![2]) !== (m![1] === '!');
  m = new RegExp(`^${key}\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`).exec(requirement);
  if (m) return (labels) => (labels[m![1]] === m![3]) !== (m![2] === '!=');
  m = new RegExp(`^${key}\\s+(in|notin)\\s+\\(([^()]*)\\)$`).exec(requirement);
  if (!m) return undefined;
  const values = m[3].split(',').map((v) => v.trim());
  return (labels) => (Object.hasOwn(labels, m![1]) && values.includes(labels[m![1]])) !== (m![2] === 'notin');
}

function send(res: ServerResponse, event: unknown): void {
  res.write(`${JSON.stringify(event)}\n`);
}
