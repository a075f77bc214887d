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
  clusterSnapshotOf,
  ClusterSnapshot,
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

/** Kinds whose events the views show (the service, its children and their pods), by `involvedObject.kind`. */
const EVENT_KINDS = new Map<string, KindInfo>(
  [
    KINDS.InferenceService,
    KINDS.LeaderWorkerSet,
    KINDS.PodGroup,
    KINDS.Deployment,
    KINDS.Pod,
    KINDS.Service,
    KINDS.InferencePool,
    KINDS.HTTPRoute,
  ].map(k => [k.kind, k]),
);

/** Events kept per service: the newest (a detail shows the newest 50 about the service, its children and pods). */
export const EVENTS_PER_SERVICE = 100;
/** Bytes of an event's message that are kept (longer messages are cut and end with `…`). */
export const EVENT_MESSAGE_BYTES = 1024;

/** An event as the cache keeps it: the fields the detail view reads. */
export type CachedEvent = KubeObject & {
  reason?: string;
  message?: string;
  type?: string;
  lastTimestamp?: string;
  eventTime?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
};

/** `s` cut to at most `bytes` bytes of UTF-8 (ending with `…` when cut). */
export function cutUtf8(s: unknown, bytes: number): string | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.length <= bytes / 3 || Buffer.byteLength(s) <= bytes) return s;
  const ellipsis = '…';
  // the first `bytes` characters hold at least `bytes` bytes
  const head = Buffer.from(s.slice(0, bytes))
    .subarray(0, bytes - Buffer.byteLength(ellipsis))
    .toString('utf8')
    // a character cut in the middle decodes as U+FFFD
    .replace(/\uFFFD$/, '');
  return head + ellipsis;
}

const str = (s: unknown, bytes = 256) => cutUtf8(s, bytes);

/** The event without what no view reads (source, related, series, …), its message cut to {@link EVENT_MESSAGE_BYTES}. */
export function projectEvent(o: KubeObject): KubeObject {
  const e = o as CachedEvent;
  const io = e.involvedObject ?? {};
  return {
    apiVersion: e.apiVersion,
    kind: e.kind,
    metadata: {
      name: e.metadata.name,
      namespace: e.metadata.namespace,
      uid: e.metadata.uid,
      resourceVersion: e.metadata.resourceVersion,
      creationTimestamp: e.metadata.creationTimestamp,
    },
    involvedObject: {
      kind: str(io.kind),
      name: str(io.name),
      namespace: str(io.namespace),
    },
    type: str(e.type),
    reason: str(e.reason),
    message: cutUtf8(e.message, EVENT_MESSAGE_BYTES),
    lastTimestamp: str(e.lastTimestamp, 64),
    eventTime: str(e.eventTime, 64),
  } as CachedEvent;
}

type Resources = { requests?: unknown; limits?: unknown };
type Container = { resources?: Resources; restartPolicy?: string };

/**
 * A pod as the capacity cache keeps it: where it runs, its phase and what its containers request
 * (`clusterCapacityOf` and `clusterSnapshotOf` read these; init containers keep `restartPolicy`, which makes one a
 * sidecar), and the service label only (a pre-flight counts a service's own pods as free). No other labels,
 * annotations, env, volumes or status beyond the phase.
 */
export function projectCapacityPod(o: KubeObject): KubeObject {
  const p = o as Pod & {
    spec?: { initContainers?: unknown; containers?: unknown };
  };
  const containers = (list: unknown, init: boolean) =>
    Array.isArray(list)
      ? (list as Container[]).map(c => {
          const r = c?.resources;
          return {
            ...(r
              ? {
                  resources: {
                    ...(r.requests ? { requests: r.requests } : {}),
                    ...(r.limits ? { limits: r.limits } : {}),
                  },
                }
              : {}),
            ...(init && c?.restartPolicy
              ? { restartPolicy: c.restartPolicy }
              : {}),
          };
        })
      : undefined;
  const spec = p.spec as
    | { nodeName?: string; containers?: unknown; initContainers?: unknown }
    | undefined;
  return {
    apiVersion: p.apiVersion,
    kind: p.kind,
    metadata: {
      name: p.metadata.name,
      namespace: p.metadata.namespace,
      uid: p.metadata.uid,
      resourceVersion: p.metadata.resourceVersion,
      ...(p.metadata.labels?.[LABELS.service]
        ? { labels: { [LABELS.service]: p.metadata.labels[LABELS.service] } }
        : {}),
    },
    spec: {
      nodeName: spec?.nodeName,
      containers: containers(spec?.containers, false) ?? [],
      ...(spec?.initContainers
        ? { initContainers: containers(spec.initContainers, true) }
        : {}),
    },
    status: { phase: (p.status as { phase?: string } | undefined)?.phase },
  } as KubeObject;
}

/**
 * A node as the capacity cache keeps it: its labels (GPU feature discovery's product and memory, and what
 * nodeSelectors match), whether it is cordoned and what it can allocate (no images, conditions, annotations).
 */
export function projectCapacityNode(o: KubeObject): KubeObject {
  const n = o as KubeObject & {
    spec?: { unschedulable?: boolean };
    status?: { allocatable?: Record<string, unknown> };
  };
  return {
    apiVersion: n.apiVersion,
    kind: n.kind,
    metadata: {
      name: n.metadata.name,
      uid: n.metadata.uid,
      resourceVersion: n.metadata.resourceVersion,
      ...(n.metadata.labels ? { labels: { ...n.metadata.labels } } : {}),
    },
    spec: { unschedulable: n.spec?.unschedulable },
    status: { allocatable: n.status?.allocatable },
  } as KubeObject;
}

const eventTime = (e: CachedEvent): number => {
  const t = Date.parse(
    e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '',
  );
  return Number.isNaN(t) ? 0 : t;
};

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
 * and pods (label-scoped to `fusioninfer.io/service`), and events about services, their children and pods (the
 * newest {@link EVENTS_PER_SERVICE} per service, indexed by service, messages cut to {@link EVENT_MESSAGE_BYTES}). With
 * `fusioninfer.clusters[].namespaces` each kind is watched per listed namespace only; otherwise cluster-wide.
 */
export class ClusterCache {
  /** kind → namespace ('' for cluster-wide) → informer */
  private readonly informers = new Map<string, Map<string, CacheInformer>>();
  private readonly listeners: Array<(c: CacheChange) => void> = [];
  private started?: Promise<void>;
  /**
   * Nodes and every pod of the cluster, for GPU capacity (kept apart: a refusal never marks the views stale),
   * projected to what capacity reads (a cluster's pods would otherwise be kept whole).
   */
  private capacityInformers?: { nodes: CacheInformer; pods: CacheInformer };
  /** namespace NUL service → event name → event and its time: the service's newest {@link EVENTS_PER_SERVICE}. */
  private readonly eventsByService = new Map<
    string,
    Map<string, { event: CachedEvent; time: number }>
  >();
  /** namespace NUL event name → its key in eventsByService */
  private readonly eventOwner = new Map<string, string>();

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
              transform: projectEvent,
              filter: e => this.serviceOfEvent(e) !== undefined,
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
      if (kind === KINDS.Event) {
        // after the listeners above, so they see an evicted event's add before its delete
        inf.on('add', (e: KubeObject) => this.indexEvent(inf, e));
        inf.on('update', (e: KubeObject) => this.indexEvent(inf, e));
        inf.on('delete', (e: KubeObject) => this.unindexEvent(e));
      }
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

  /**
   * The service an event is about: the service itself, or one of its children or pods in the cache, matched by
   * kind and exact name (an event about any other object, whatever its name, is not kept).
   */
  private serviceOfEvent(e: KubeObject): string | undefined {
    const io = (e as CachedEvent).involvedObject;
    const ns = e.metadata.namespace;
    const kind = EVENT_KINDS.get(io?.kind ?? '');
    if (!ns || !io?.name || !kind) return undefined;
    if (io.namespace && io.namespace !== ns) return undefined;
    const svc =
      kind === KINDS.InferenceService
        ? io.name
        : this.get(kind, ns, io.name)?.metadata.labels?.[LABELS.service];
    return svc && this.get(KINDS.InferenceService, ns, svc) ? svc : undefined;
  }

  /** Files a cached event under its service and evicts the service's oldest beyond {@link EVENTS_PER_SERVICE}. */
  private indexEvent(inf: CacheInformer, o: KubeObject) {
    const e = o as CachedEvent;
    const ns = e.metadata.namespace ?? '';
    const name = e.metadata.name!;
    const svc = this.serviceOfEvent(e);
    if (!svc) {
      inf.evict(name, ns);
      return;
    }
    const key = `${ns}\u0000${svc}`;
    const own = `${ns}\u0000${name}`;
    const was = this.eventOwner.get(own);
    if (was !== undefined && was !== key) this.unindexEvent(e);
    let bucket = this.eventsByService.get(key);
    if (!bucket) this.eventsByService.set(key, (bucket = new Map()));
    bucket.set(name, { event: e, time: eventTime(e) });
    this.eventOwner.set(own, key);
    while (bucket.size > EVENTS_PER_SERVICE) {
      let oldest: { name: string; time: number } | undefined;
      for (const [n, x] of bucket)
        if (
          !oldest ||
          x.time < oldest.time ||
          (x.time === oldest.time && n < oldest.name)
        )
          oldest = { name: n, time: x.time };
      const n = oldest!.name;
      bucket.delete(n);
      this.eventOwner.delete(`${ns}\u0000${n}`);
      inf.evict(n, ns);
    }
  }

  private unindexEvent(e: KubeObject) {
    const ns = e.metadata.namespace ?? '';
    const own = `${ns}\u0000${e.metadata.name}`;
    const key = this.eventOwner.get(own);
    if (key === undefined) return;
    this.eventOwner.delete(own);
    const bucket = this.eventsByService.get(key);
    bucket?.delete(e.metadata.name!);
    if (bucket?.size === 0) this.eventsByService.delete(key);
  }

  /**
   * The cached events of one service (about it, its children and its pods), at most {@link EVENTS_PER_SERVICE}, in
   * no particular order; read from a per-service index, not by scanning the namespace's events.
   */
  events(ns: string, service: string): CachedEvent[] {
    const bucket = this.eventsByService.get(`${ns}\u0000${service}`);
    return bucket ? [...bucket.values()].map(x => x.event) : [];
  }

  /**
   * Starts every informer (InferenceServices first, then their children and pods, then events: an event is kept
   * only when the object it is about is known); resolves when all tried once.
   */
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
        CACHED_KINDS.filter(
          k => k !== KINDS.InferenceService && k !== KINDS.Event,
        ).map(startKind),
      );
      await startKind(KINDS.Event);
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
   * Watches the cluster's nodes and all its pods (cluster-wide), each projected to what capacity reads (see
   * {@link projectCapacityPod}, {@link projectCapacityNode}). Listing nodes is
   * cluster-scoped: an identity that may not (or may not list pods everywhere) gets an unknown capacity, logged once.
   */
  private startCapacity() {
    const nodes = this.client.informer(KINDS.Node, undefined, undefined, {
      transform: projectCapacityNode,
    });
    const pods = this.client.informer(KINDS.Pod, undefined, undefined, {
      transform: projectCapacityPod,
    });
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

  /**
   * The cluster's nodes and free resources for a pre-flight; the pods of `service` (`namespace/name`) count as free,
   * since an update replaces them. Undefined until nodes and pods are listed (or when they may not be).
   */
  snapshot(service?: {
    namespace: string;
    name: string;
  }): ClusterSnapshot | undefined {
    const c = this.capacityInformers;
    if (!c?.nodes.synced || !c.pods.synced) return undefined;
    return clusterSnapshotOf(c.nodes.list(), c.pods.list() as Pod[], {
      ...(service
        ? {
            ignorePod: (p: Pod) =>
              p.metadata.namespace === service.namespace &&
              p.metadata.labels?.[LABELS.service] === service.name,
          }
        : {}),
    });
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
