/*
 * Copyright 2026 The FusionInfer Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

import { createInterface } from 'readline';
import { KubeObject } from '@fusioninfer/plugin-fusioninfer-common';

/** Options of a {@link CacheInformer}. @public */
export interface CacheInformerOptions {
  /** Sent as `timeoutSeconds` with every watch: the server ends the watch by then (default 300). */
  watchTimeoutSeconds?: number;
  /**
   * A watch that delivers no event and no bookmark for this long is treated as stalled: it is aborted and the
   * cache relisted (default 150 s; API servers send a bookmark about once a minute).
   */
  stallTimeoutMs?: number;
  /**
   * Applied to every listed and watched object (after `managedFields` are dropped) before it is filtered, cached,
   * indexed or passed to listeners, as client-go's `SetTransform`: the cache keeps what this returns, e.g. a
   * projection to the fields its readers use. It may change and return its argument. The result must keep
   * `metadata.name`, `metadata.namespace`, `metadata.resourceVersion` and the `indexLabel` label.
   */
  transform?: (o: KubeObject) => KubeObject;
  /** Objects for which this returns false are not cached (and produce no events); it sees the transformed object. */
  filter?: (o: KubeObject) => boolean;
  /** First and largest delay between restarts after errors (default 1 s and 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Page size of relists (default 500). */
  pageSize?: number;
  /** A label whose values are indexed per namespace ({@link CacheInformer.byLabel}). */
  indexLabel?: string;
}

/** What an informer needs from a cluster connection (implemented by ClusterClient). @public */
export interface InformerTransport {
  /** One page of a LIST: items, the list's resourceVersion and the continue token. */
  listPage(
    path: string,
    query: Record<string, string | undefined>,
    signal?: AbortSignal,
  ): Promise<{
    items: KubeObject[];
    resourceVersion?: string;
    continue?: string;
  }>;
  /** Opens a watch stream (newline-delimited JSON); rejects with an error carrying `code` on non-200 answers. */
  openWatch(
    path: string,
    query: Record<string, string | undefined>,
    signal: AbortSignal,
  ): Promise<NodeJS.ReadableStream>;
}

type Listener = (arg: any) => void;

/**
 * A list+watch cache of one kind (optionally one namespace and one label selector), in the manner of client-go's
 * reflector: it relists after `410 Gone`, sends `timeoutSeconds` and asks for bookmarks on every watch, restarts a
 * watch that delivers nothing (no event, no bookmark) for `stallTimeoutMs` with a full relist, and restarts itself
 * after errors with back-off. Cached objects keep no `managedFields`, and are what the `transform` option returns.
 * @public
 */
export class CacheInformer<T extends KubeObject = KubeObject> {
  private objects = new Map<string, Map<string, T>>();
  /** namespace + NUL + value of options.indexLabel → name → object */
  private index = new Map<string, Map<string, T>>();
  private readonly listeners: Record<string, Listener[]> = {
    add: [],
    update: [],
    delete: [],
    error: [],
    relist: [],
  };
  private resourceVersion = '';
  private stopped = true;
  private abort?: AbortController;
  private listAbort?: AbortController;
  private loop?: Promise<void>;
  private firstSync?: { resolve: () => void; reject: (e: unknown) => void };
  private wake?: () => void;
  /** True once the first list has been loaded. */
  synced = false;
  /** The last error of a list or watch (cleared by the next successful list or event). */
  lastError?: string;
  /** Full lists made (first one included), and watches restarted because they stalled. */
  readonly counters = { relists: 0, watches: 0, stalls: 0 };

  constructor(
    private readonly transport: InformerTransport,
    readonly path: string,
    readonly labelSelector?: string,
    private readonly options: CacheInformerOptions = {},
  ) {}

  on(event: 'add' | 'update' | 'delete', cb: (o: T) => void): void;
  on(event: 'error', cb: (e: unknown) => void): void;
  on(event: 'relist', cb: (reason: string) => void): void;
  on(event: string, cb: Listener): void {
    (this.listeners[event] ??= []).push(cb);
  }

  private emit(event: string, arg: unknown) {
    for (const cb of this.listeners[event] ?? []) {
      try {
        cb(arg);
      } catch {
        // a listener's error never breaks the cache
      }
    }
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? '')?.get(name);
  }

  /** Objects of a namespace whose `indexLabel` has this value (without scanning the namespace). */
  byLabel(namespace: string, value: string): T[] {
    if (!this.options.indexLabel)
      throw new Error('byLabel needs the indexLabel option');
    return [...(this.index.get(`${namespace}\u0000${value}`)?.values() ?? [])];
  }

  private indexKey(o: T): string | undefined {
    const label = this.options.indexLabel;
    const v = label ? o.metadata.labels?.[label] : undefined;
    return v === undefined
      ? undefined
      : `${o.metadata.namespace ?? ''}\u0000${v}`;
  }

  private unindex(o: T) {
    const k = this.indexKey(o);
    if (!k) return;
    const m = this.index.get(k);
    m?.delete(o.metadata.name!);
    if (m && m.size === 0) this.index.delete(k);
  }

  private reindex(o: T) {
    const k = this.indexKey(o);
    if (!k) return;
    let m = this.index.get(k);
    if (!m) this.index.set(k, (m = new Map()));
    m.set(o.metadata.name!, o);
  }

  /**
   * Drops one object from the cache (listeners get `delete`), e.g. to bound how many of a kind are kept. A later
   * watch event or relist brings it back when the filter keeps it. Returns whether it was cached.
   */
  evict(name: string, namespace?: string): boolean {
    const m = this.objects.get(namespace ?? '');
    const o = m?.get(name);
    if (!o) return false;
    this.unindex(o);
    m!.delete(name);
    if (m!.size === 0) this.objects.delete(namespace ?? '');
    this.emit('delete', o);
    return true;
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined)
      return [...(this.objects.get(namespace)?.values() ?? [])];
    const out: T[] = [];
    for (const m of this.objects.values()) out.push(...m.values());
    return out;
  }

  /** Starts the loop; resolves after the first list (rejects if the first list fails; the loop keeps retrying). */
  start(): Promise<void> {
    if (!this.stopped) return Promise.resolve();
    this.stopped = false;
    const first = new Promise<void>((resolve, reject) => {
      this.firstSync = { resolve, reject };
    });
    this.loop = this.run();
    return first;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.listAbort?.abort();
    this.wake?.();
    await this.loop?.catch(() => undefined);
  }

  /** Forces a relist now (e.g. after a suspected stale cache). */
  relist(reason = 'requested'): void {
    this.resourceVersion = '';
    this.emit('relist', reason);
    this.abort?.abort();
  }

  private async run(): Promise<void> {
    let backoff = this.options.minBackoffMs ?? 1000;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.doList();
        backoff = this.options.minBackoffMs ?? 1000;
        await this.watchOnce();
      } catch (e) {
        if (this.stopped) break;
        const code = (e as { code?: number }).code;
        if (code === 410) {
          this.resourceVersion = '';
          continue;
        }
        this.lastError = (e as Error)?.message ?? String(e);
        this.emit('error', e);
        if (!this.synced && this.firstSync) {
          this.firstSync.reject(e);
          this.firstSync = undefined;
        }
        await this.sleep(backoff);
        backoff = Math.min(this.options.maxBackoffMs ?? 30_000, backoff * 2);
      }
    }
  }

  /** Waits `ms`, or less when stop() wakes it. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>(r => {
      const t = setTimeout(() => {
        this.wake = undefined;
        r();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        r();
      };
    });
  }

  /** What the cache keeps of an object: no managedFields, then the `transform` option's result. */
  private strip(o: T): T {
    let out = o;
    if (o.metadata?.managedFields) {
      const { managedFields: _drop, ...metadata } = o.metadata;
      out = { ...o, metadata } as T;
    }
    return this.options.transform ? (this.options.transform(out) as T) : out;
  }

  private keep(o: T): boolean {
    return !this.options.filter || this.options.filter(o);
  }

  private async doList(): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    const abort = new AbortController();
    this.listAbort = abort;
    do {
      const page = await this.transport.listPage(
        this.path,
        {
          labelSelector: this.labelSelector,
          limit: String(this.options.pageSize ?? 500),
          continue: cont,
        },
        abort.signal,
      );
      // transformed page by page: with a projecting transform, a page's full objects are garbage before the next page
      for (const i of page.items as T[]) {
        const o = this.strip(i);
        if (this.keep(o)) items.push(o);
      }
      rv = page.resourceVersion ?? '';
      cont = page.continue || undefined;
    } while (cont && !this.stopped);
    if (this.stopped) return;
    this.counters.relists++;
    const next = new Map<string, Map<string, T>>();
    for (const o of items) {
      const ns = o.metadata.namespace ?? '';
      if (!next.has(ns)) next.set(ns, new Map());
      next.get(ns)!.set(o.metadata.name!, o);
    }
    const old = this.objects;
    this.objects = next;
    this.index = new Map();
    for (const m of next.values()) for (const o of m.values()) this.reindex(o);
    this.resourceVersion = rv;
    this.lastError = undefined;
    for (const [ns, m] of old)
      for (const [name, o] of m)
        if (!next.get(ns)?.has(name)) this.emit('delete', o);
    for (const [ns, m] of next)
      for (const [name, o] of m) {
        const before = old.get(ns)?.get(name);
        if (!before) this.emit('add', o);
        else if (before.metadata.resourceVersion !== o.metadata.resourceVersion)
          this.emit('update', o);
      }
    if (!this.synced) {
      this.synced = true;
      this.firstSync?.resolve();
      this.firstSync = undefined;
    }
  }

  private apply(type: string, raw: T) {
    const ns = raw.metadata.namespace ?? '';
    const name = raw.metadata.name!;
    const o = type === 'DELETED' ? raw : this.strip(raw);
    const m = this.objects.get(ns);
    const before = m?.get(name);
    if (before) this.unindex(before);
    if (type === 'DELETED' || !this.keep(o)) {
      if (before) {
        m!.delete(name);
        if (m!.size === 0) this.objects.delete(ns);
        this.emit('delete', before);
      }
      return;
    }
    if (!m) this.objects.set(ns, new Map([[name, o]]));
    else m.set(name, o);
    this.reindex(o);
    this.emit(before ? 'update' : 'add', o);
  }

  private async watchOnce(): Promise<void> {
    const timeoutSeconds = this.options.watchTimeoutSeconds ?? 300;
    const stallMs = this.options.stallTimeoutMs ?? 150_000;
    const abort = new AbortController();
    this.abort = abort;
    this.counters.watches++;
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, stallMs);
    };
    arm();
    try {
      const stream = await this.transport.openWatch(
        this.path,
        {
          watch: 'true',
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(timeoutSeconds),
          labelSelector: this.labelSelector,
        },
        abort.signal,
      );
      arm();
      const lines = createInterface({ input: stream as any });
      abort.signal.addEventListener('abort', () => {
        lines.close();
        (stream as any).destroy?.();
      });
      for await (const line of lines) {
        arm();
        if (!line.trim()) continue;
        let ev: { type?: string; object?: any };
        try {
          ev = JSON.parse(line);
        } catch {
          continue;
        }
        if (ev.type === 'ERROR') {
          const code = ev.object?.code;
          if (code === 410) {
            this.resourceVersion = '';
            return;
          }
          throw Object.assign(new Error(ev.object?.message ?? 'watch error'), {
            code,
          });
        }
        const rv = ev.object?.metadata?.resourceVersion;
        if (ev.type !== 'BOOKMARK' && ev.object?.metadata)
          this.apply(ev.type!, ev.object as T);
        if (rv) this.resourceVersion = rv;
        this.lastError = undefined;
      }
    } catch (e) {
      if (!stalled && !this.stopped && !abort.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
      if (this.abort === abort) this.abort = undefined;
    }
    if (stalled && !this.stopped) {
      this.counters.stalls++;
      this.resourceVersion = '';
      this.lastError = `watch delivered nothing for ${Math.round(stallMs / 1000)} s; relisting`;
      this.emit('relist', this.lastError);
    }
  }
}
