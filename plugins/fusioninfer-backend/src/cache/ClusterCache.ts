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

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ClusterCapacity,
  clusterCapacityOf,
  KubeObject,
  LABELS,
  Pod,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  CacheInformer,
  CHILD_KINDS,
  ClusterClient,
  KindInfo,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';

/** Kinds whose events the views show (the service, its children and their pods). */
const EVENT_KINDS = new Set([
  'InferenceService',
  'LeaderWorkerSet',
  'PodGroup',
  'Deployment',
  'Pod',
  'Service',
  'InferencePool',
  'HTTPRoute',
]);

/** The kinds a cluster cache keeps: InferenceServices, every child kind, pods, and events about them. */
export const CACHED_KINDS: KindInfo[] = [
  KINDS.InferenceService,
  ...CHILD_KINDS,
  KINDS.Pod,
  KINDS.Event,
];

export type CacheChange = {
  kind: KindInfo;
  type: 'add' | 'update' | 'delete';
  object: KubeObject;
};

/**
 * The informers of one cluster, shared by its reconciler and the REST views: InferenceServices, every child kind
 * and pods (label-scoped to `fusioninfer.io/service`), and events about services and their children. With
 * `fusioninfer.clusters[].namespaces` each kind is watched per listed namespace only; otherwise cluster-wide.
 */
export class ClusterCache {
  /** kind → namespace ('' for cluster-wide) → informer */
  private readonly informers = new Map<string, Map<string, CacheInformer>>();
  private readonly listeners: Array<(c: CacheChange) => void> = [];
  private started?: Promise<void>;
  /** Nodes and every pod of the cluster, for GPU capacity (kept apart: a refusal never marks the views stale). */
  private capacityInformers?: { nodes: CacheInformer; pods: CacheInformer };

  constructor(
    readonly client: ClusterClient,
    private readonly logger?: LoggerService,
  ) {}

  /** Namespaces watched: the configured list, or [''] (every namespace). */
  get scopes(): string[] {
    return this.client.config.namespaces ?? [''];
  }

  onChange(cb: (c: CacheChange) => void): void {
    this.listeners.push(cb);
  }

  private make(kind: KindInfo) {
    const byNs = new Map<string, CacheInformer>();
    for (const scope of this.scopes) {
      const inf =
        kind === KINDS.Event
          ? this.client.informer(kind, scope || undefined, undefined, {
              filter: e => this.isRelevantEvent(e),
            })
          : this.client.informer(
              kind,
              scope || undefined,
              kind === KINDS.InferenceService ? undefined : LABELS.service,
              kind === KINDS.InferenceService
                ? undefined
                : { indexLabel: LABELS.service },
            );
      for (const type of ['add', 'update', 'delete'] as const)
        inf.on(type, (object: KubeObject) => {
          for (const l of this.listeners) l({ kind, type, object });
        });
      inf.on('error', (e: unknown) =>
        this.logger?.warn(
          `watch of ${kind.kind}${scope ? ` in ${scope}` : ''} in ${this.client.name} failed (${(e as Error)?.message}); retrying`,
        ),
      );
      inf.on('relist', (reason: string) =>
        this.logger?.info(
          `relisting ${kind.kind}${scope ? ` in ${scope}` : ''} in ${this.client.name}: ${reason}`,
        ),
      );
      byNs.set(scope, inf);
    }
    this.informers.set(kind.kind, byNs);
  }

  /** Events about a service's objects: their names start with the service's name. */
  private isRelevantEvent(e: KubeObject): boolean {
    const io = (e as { involvedObject?: { kind?: string; name?: string } })
      .involvedObject;
    if (!io?.name || !EVENT_KINDS.has(io.kind ?? '')) return false;
    const ns = e.metadata.namespace;
    return this.list(KINDS.InferenceService, ns).some(s => {
      const n = s.metadata.name!;
      return io.name === n || io.name!.startsWith(`${n}-`);
    });
  }

  /** Starts every informer (InferenceServices first, so events can be filtered); resolves when all tried once. */
  start(): Promise<void> {
    if (this.started) return this.started;
    for (const kind of CACHED_KINDS) this.make(kind);
    const startKind = (kind: KindInfo) =>
      Promise.all(
        [...this.informers.get(kind.kind)!.values()].map(i =>
          i
            .start()
            .catch(e =>
              this.logger?.warn(
                `informer of ${kind.kind} failed to start in ${this.client.name}: ${(e as Error).message}`,
              ),
            ),
        ),
      );
    this.startCapacity();
    this.started = (async () => {
      await startKind(KINDS.InferenceService);
      await Promise.all(
        CACHED_KINDS.filter(k => k !== KINDS.InferenceService).map(startKind),
      );
    })();
    return this.started;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [
        ...[...this.informers.values()].flatMap(m => [...m.values()]),
        ...Object.values(this.capacityInformers ?? {}),
      ].map(i => i.stop()),
    );
  }

  /**
   * Watches the cluster's nodes and all its pods (cluster-wide). Listing nodes is
   * cluster-scoped: an identity that may not (or may not list pods everywhere) gets an unknown capacity, logged once.
   */
  private startCapacity() {
    const nodes = this.client.informer(KINDS.Node);
    const pods = this.client.informer(KINDS.Pod);
    this.capacityInformers = { nodes, pods };
    const logged = new Set<string>();
    const refused = (what: string) => (e: unknown) => {
      if (logged.size) return;
      logged.add(what);
      this.logger?.info(
        `GPU capacity of ${this.client.name} is unknown: cannot list ${what} cluster-wide (${(e as Error).message})`,
      );
    };
    nodes.start().catch(refused('nodes'));
    pods.start().catch(refused('pods'));
  }

  /** GPU capacity of the cluster now; undefined until nodes and pods are listed (or when they may not be). */
  capacity(): ClusterCapacity | undefined {
    const c = this.capacityInformers;
    if (!c?.nodes.synced || !c.pods.synced) return undefined;
    return clusterCapacityOf(c.nodes.list(), c.pods.list() as Pod[]);
  }

  private informerFor(kind: KindInfo, ns?: string): CacheInformer[] {
    const m = this.informers.get(kind.kind);
    if (!m) return [];
    if (m.has('')) return [m.get('')!];
    if (ns === undefined) return [...m.values()];
    const i = m.get(ns);
    return i ? [i] : [];
  }

  /** True when every informer has loaded its first list. */
  get synced(): boolean {
    return (
      this.informers.size > 0 &&
      [...this.informers.values()].every(m =>
        [...m.values()].every(i => i.synced),
      )
    );
  }

  /**
   * True when every informer has either loaded its first list or failed it (a kind whose CRD is not installed, or
   * that the identity may not list, must not hold every view back): answers are as complete as they will get.
   */
  get settled(): boolean {
    return (
      this.informers.size > 0 &&
      [...this.informers.values()].every(m =>
        [...m.values()].every(i => i.synced || !!i.lastError),
      )
    );
  }

  /** The errors of the InferenceService informer(s) that have not loaded their first list. */
  serviceErrors(ns?: string): string[] {
    return this.informerFor(KINDS.InferenceService, ns)
      .filter(i => !i.synced && i.lastError)
      .map(i => i.lastError!);
  }

  /** True when the InferenceService informer(s) of `ns` (or all) have loaded their first list. */
  servicesSynced(ns?: string): boolean {
    const infs = this.informerFor(KINDS.InferenceService, ns);
    return infs.length > 0 && infs.every(i => i.synced);
  }

  /** Last errors of list/watch per kind (empty when healthy). */
  errors(): string[] {
    const out: string[] = [];
    for (const [kind, m] of this.informers)
      for (const [ns, i] of m)
        if (i.lastError)
          out.push(`${kind}${ns ? ` in ${ns}` : ''}: ${i.lastError}`);
    return out;
  }

  /** Informer counters summed over kinds (relists, watches, stalls). */
  counters(): { relists: number; watches: number; stalls: number } {
    const c = { relists: 0, watches: 0, stalls: 0 };
    for (const m of this.informers.values())
      for (const i of m.values()) {
        c.relists += i.counters.relists;
        c.watches += i.counters.watches;
        c.stalls += i.counters.stalls;
      }
    return c;
  }

  /** Forces every informer to relist (tests, or after a suspected stale cache). */
  relistAll(reason = 'requested'): void {
    for (const m of this.informers.values())
      for (const i of m.values()) i.relist(reason);
  }

  get<T extends KubeObject>(
    kind: KindInfo,
    ns: string,
    name: string,
  ): T | undefined {
    for (const i of this.informerFor(kind, ns)) {
      const o = i.get(name, ns);
      if (o) return o as T;
    }
    return undefined;
  }

  /** Objects of a kind in a namespace (or everywhere), optionally only those labelled for one service. */
  list<T extends KubeObject>(
    kind: KindInfo,
    ns?: string,
    service?: string,
  ): T[] {
    const out: T[] = [];
    const indexed =
      service !== undefined &&
      ns !== undefined &&
      kind !== KINDS.InferenceService &&
      kind !== KINDS.Event;
    for (const i of this.informerFor(kind, ns)) {
      if (indexed) {
        out.push(...(i.byLabel(ns!, service!) as T[]));
        continue;
      }
      for (const o of i.list(ns) as T[])
        if (!service || o.metadata.labels?.[LABELS.service] === service)
          out.push(o);
    }
    return out;
  }
}
