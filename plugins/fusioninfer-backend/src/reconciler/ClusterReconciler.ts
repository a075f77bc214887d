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

import { createHash } from 'crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  canonicalJson,
  ClusterSnapshot,
  ConditionInput,
  Deployment,
  childNames,
  deriveStatus,
  formatIssue,
  InferenceService,
  InferenceServiceStatus,
  KubeObject,
  LABELS,
  LeaderWorkerSet,
  LIMITS,
  Pod,
  PodGroup,
  renderInferenceService,
  RenderOptions,
  SURGE_LABEL,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  CHILD_KINDS,
  ClusterApiError,
  ClusterClient,
  KindInfo,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import {
  LeaderElector,
  leaderElectionTiming,
  LeaderElectionTiming,
  NotLeaderError,
} from './LeaderElector';
import { WorkQueue } from './WorkQueue';
import { ClusterCache } from '../cache/ClusterCache';
import { driftSignature, liveMatchesRendered } from './drift';
import { CanaryView, gateRollout } from './rollout';

/** Counters of what the reconciler asked the API server to do. */
export interface ReconcilerStats {
  reconciles: number;
  applies: number;
  deletes: number;
  statusWrites: number;
  errors: number;
  /** Children re-applied because their live fields drifted from the rendered ones. */
  driftCorrections: number;
  /** Writes refused because this instance was not (or no longer) the leader. */
  refusedWrites: number;
}

export interface ClusterReconcilerOptions {
  client: ClusterClient;
  logger: LoggerService;
  render?: RenderOptions;
  workers?: number;
  resyncSeconds?: number;
  /** Informers to use (shared with the REST views); created from `client` when absent. */
  cache?: ClusterCache;
  leaderElection?:
    | {
        /** Namespace of the Lease (default fusioninfer-system). */
        namespace?: string;
        name?: string;
        identity: string;
        leaseDurationSeconds?: number;
        /** Overrides of the timing derived from leaseDurationSeconds (tests). */
        timing?: Partial<LeaderElectionTiming>;
      }
    | false;
  /** Retry back-off base (ms). */
  baseDelayMs?: number;
  /**
   * Requests about children (applies, deletes, reads of names the cache does not hold) in flight at once in this
   * cluster, over all workers (default {@link DEFAULT_REQUEST_CONCURRENCY}): the children of one service are written
   * in parallel within this bound.
   */
  requestConcurrency?: number;
  /**
   * GPUs the service's team project may still add in this cluster (undefined: no quota), for a rollout's surge
   * replicas; without it only the cluster's free GPUs decide.
   */
  quotaLeft?: (isvc: InferenceService) => Promise<number | undefined>;
}

/** Default of {@link ClusterReconcilerOptions.workers}. */
export const DEFAULT_WORKERS = 4;
/** Default of {@link ClusterReconcilerOptions.requestConcurrency}. */
export const DEFAULT_REQUEST_CONCURRENCY = 16;

/** Default namespace of the reconciler's Lease: a namespace of its own, where no generated Role grants anything. */
export const DEFAULT_LEASE_NAMESPACE = 'fusioninfer-system';

const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
const controllerUid = (o: KubeObject) =>
  (o.metadata.ownerReferences ?? []).find(r => r.controller)?.uid;

/**
 * Kinds other children refer to (the gang's PodGroup, the EPP's ServiceAccount, Role, RoleBinding and ConfigMap):
 * written before the rest, so a workload never starts before what it names exists.
 */
const FIRST_WAVE = new Set(
  [
    KINDS.PodGroup,
    KINDS.ServiceAccount,
    KINDS.Role,
    KINDS.RoleBinding,
    KINDS.ConfigMap,
  ].map(k => k.kind),
);

/** What this reconciler remembers of one child it manages. */
interface ChildMemory {
  /** The apply response, until the informer delivers this version or a newer one (expectations). */
  applied?: { object: KubeObject; at: number };
  /**
   * The signature of its live fields at the rendered paths right after this reconciler applied it (what the API
   * server made of our apply, defaults and normalisation included), as a SHA-1: signatures are as long as the child.
   */
  baseline?: string;
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('base64');

/** A counting semaphore: at most `limit` tasks of {@link Limiter.run} at once, the others wait in order. */
class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit)
      await new Promise<void>(resolve => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // the slot passes to the next waiter as it is (running stays the same)
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * The FusionInfer controller for one cluster: list+watch of InferenceServices and their children (informers),
 * a de-duplicating work queue, and per service: validate → render → apply what changed → delete orphans →
 * derive status → write status only when it changed. With mode: observe it only derives status.
 */
/**
 * The text of a Failed condition for an error of the sync (the status is shown to everybody who may read the
 * service): what the API server answered (status code and message) as it is, anything else (network, TLS, timeouts,
 * whose text carries the API server's URL) generic; the reconcile log line keeps the detail.
 */
function conditionMessage(e: unknown): string {
  if (e instanceof ClusterApiError) {
    if (e.code !== undefined) return e.message;
    return e.reason === 'Timeout'
      ? 'the API server did not answer in time while applying children; retrying'
      : 'the API server could not be reached while applying children (details in the backend log); retrying';
  }
  return 'applying children failed (details in the backend log); retrying';
}

export class ClusterReconciler {
  readonly stats: ReconcilerStats = {
    reconciles: 0,
    applies: 0,
    deletes: 0,
    statusWrites: 0,
    errors: 0,
    driftCorrections: 0,
    refusedWrites: 0,
  };
  readonly cache: ClusterCache;
  private readonly ownsCache: boolean;
  private queue: WorkQueue;
  private elector?: LeaderElector;
  private resyncTimer?: NodeJS.Timeout;
  private started = false;
  /** Status fields the cluster's CRD does not keep (e.g. the upstream CRD): never compared, never rewritten. */
  private readonly prunedStatusFields = new Set<string>();
  /** Derived status per service (what the REST API shows in observe mode, and the last known elsewhere). */
  readonly statuses = new Map<string, InferenceServiceStatus>();
  /**
   * Per service ("namespace/name"), per child ("Kind/name"): expectations and drift baselines. Kept by service so a
   * reconcile reads only its own children's and a deleted service's go with it.
   */
  private readonly memory = new Map<string, Map<string, ChildMemory>>();
  /** The canary of each canary service as its last reconcile saw it. */
  private readonly canaries = new Map<string, CanaryView>();
  /** Bounds child requests in flight in this cluster (see {@link ClusterReconcilerOptions.requestConcurrency}). */
  private readonly requests: Limiter;
  /**
   * Last status written per service (SHA-1 of its canonical JSON), with the resourceVersion of the object it was
   * derived from.
   */
  private readonly lastStatusWrite = new Map<
    string,
    { digest: string; resourceVersionBefore?: string }
  >();

  constructor(private readonly options: ClusterReconcilerOptions) {
    this.ownsCache = !options.cache;
    this.requests = new Limiter(
      Math.max(1, options.requestConcurrency ?? DEFAULT_REQUEST_CONCURRENCY),
    );
    this.cache =
      options.cache ?? new ClusterCache(options.client, options.logger);
    this.queue = new WorkQueue(k => this.reconcile(k), {
      workers: options.workers ?? DEFAULT_WORKERS,
      baseDelayMs: options.baseDelayMs ?? 200,
      onError: (k, e, attempt) => {
        this.stats.errors++;
        if (e instanceof NotLeaderError) return;
        options.logger.warn(
          `reconcile of ${this.client.name}/${k} failed (attempt ${attempt}): ${(e as Error).message}`,
        );
      },
    });
    this.cache.onChange(({ kind, object: o }) => {
      if (kind === KINDS.Event) return;
      if (kind === KINDS.InferenceService)
        this.enqueue(key(o.metadata.namespace, o.metadata.name!));
      else {
        const svc = o.metadata.labels?.[LABELS.service];
        if (svc) this.enqueue(key(o.metadata.namespace, svc));
      }
    });
  }

  get client(): ClusterClient {
    return this.options.client;
  }

  /** True while this instance may write: leader election off, or leading with a renewal younger than the deadline. */
  get isLeader(): boolean {
    if (!this.started || this.client.readOnly) return false;
    return this.elector ? this.elector.isLeader : true;
  }

  /** Throws unless this instance may write now (checked before every write, retries included). */
  private assertLeading(what: string) {
    if (!this.isLeader) {
      this.stats.refusedWrites++;
      throw new NotLeaderError(what);
    }
  }

  /** Starts informers, then reconciles (only while leading, when leader election is on). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.cache.start();
    if (!this.started) return;
    if (this.options.leaderElection && !this.client.readOnly) {
      const le = this.options.leaderElection;
      const namespace = le.namespace ?? DEFAULT_LEASE_NAMESPACE;
      const name = le.name ?? 'fusioninfer-backstage-reconciler';
      this.queue.pause();
      let lastElectionError: string | undefined;
      this.elector = new LeaderElector(this.client.lease(namespace, name), {
        namespace,
        name,
        identity: le.identity,
        timing: {
          ...leaderElectionTiming(le.leaseDurationSeconds ?? 15),
          ...(le.timing ?? {}),
        },
        onStartedLeading: () => {
          lastElectionError = undefined;
          this.options.logger.info(
            `leading reconciliation of cluster ${this.client.name}`,
          );
          this.queue.resume();
          this.enqueueAll();
        },
        onStoppedLeading: () => {
          this.options.logger.info(
            `stopped leading reconciliation of cluster ${this.client.name}; queue drained`,
          );
          // Nothing queued or retried runs again until leadership returns; running reconciles hit the write gate.
          this.queue.pause();
          for (const children of this.memory.values())
            for (const m of children.values()) delete m.applied;
          this.lastStatusWrite.clear();
        },
        onError: e => {
          // A failure that repeats every retry period (a Lease namespace the identity may not use) is warned once.
          const message = `leader election in ${this.client.name}: ${(e as Error).message}`;
          if (message === lastElectionError) {
            this.options.logger.debug(message);
            return;
          }
          lastElectionError = message;
          const forbidden = (e as { code?: number }).code === 403;
          this.options.logger.warn(
            forbidden
              ? `${message}; nothing is reconciled until the identity may get, create and update Leases in namespace ${namespace} (fusioninfer.reconciler.leaseNamespace)`
              : message,
          );
        },
      });
      this.elector.start();
    } else {
      this.enqueueAll();
    }
    const resync = (this.options.resyncSeconds ?? 300) * 1000;
    this.resyncTimer = setInterval(() => this.enqueueAll(), resync);
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.resyncTimer);
    this.queue.stop();
    await this.elector?.stop();
    if (this.ownsCache) await this.cache.stop();
  }

  /** Resolves when nothing is queued or running. */
  drained(): Promise<void> {
    return this.queue.drained();
  }

  /** Reconciles running right now (tests). */
  get inFlight(): number {
    return this.queue.inFlight;
  }

  private enqueue(k: string) {
    if (!this.started) return;
    if (this.client.readOnly || !this.elector || this.elector.isLeader)
      this.queue.add(k);
  }

  enqueueAll(): void {
    for (const o of this.cache.list(KINDS.InferenceService))
      this.enqueue(key(o.metadata!.namespace, o.metadata!.name!));
  }

  private cached<T extends KubeObject>(
    kind: KindInfo,
    ns: string,
    svc: string,
  ): T[] {
    return this.cache.list<T>(kind, ns, svc);
  }

  /** The cache plus children applied but not delivered yet, so status counts what was just created. */
  private observedChildren<T extends KubeObject>(
    kind: KindInfo,
    ns: string,
    svc: string,
  ): T[] {
    const out = this.cached<T>(kind, ns, svc);
    const children = this.memory.get(key(ns, svc));
    if (!children) return out;
    const seen = new Set(out.map(o => o.metadata.name));
    for (const [k, m] of children) {
      if (
        !m.applied ||
        !k.startsWith(`${kind.kind}/`) ||
        seen.has(m.applied.object.metadata.name)
      )
        continue;
      out.push(m.applied.object as T);
    }
    return out;
  }

  /** The memory of a service's child, created on first use. */
  private childMemory(svcKey: string, childKey: string): ChildMemory {
    let children = this.memory.get(svcKey);
    if (!children) this.memory.set(svcKey, (children = new Map()));
    let m = children.get(childKey);
    if (!m) children.set(childKey, (m = {}));
    return m;
  }

  /** Reconciles one service (key "namespace/name"). */
  async reconcile(k: string): Promise<void> {
    const [ns, name] = k.split('/');
    const manage = !this.client.readOnly;
    // A non-leader does nothing (its queue is paused; this catches work that was already running).
    if (manage && !this.isLeader) return;
    if (!this.client.allowsNamespace(ns)) return;
    const isvc = this.cache.get<InferenceService>(
      KINDS.InferenceService,
      ns,
      name,
    );
    if (!isvc) {
      this.statuses.delete(k);
      this.lastStatusWrite.delete(k);
      this.memory.delete(k);
      this.canaries.delete(k);
      return;
    }
    if (isvc.metadata.deletionTimestamp) return; // garbage collection removes the children
    this.stats.reconciles++;
    // Validation bounds what may be expanded (replicas, roles, pods, children, size, depth): an invalid service is
    // reported, never rendered.
    const validation = validateInferenceService(isvc);
    const extra: ConditionInput[] = [];
    let error: string | undefined;
    if (validation.valid && manage) {
      try {
        extra.push(...(await this.syncChildren(isvc)));
      } catch (e) {
        if (e instanceof NotLeaderError) throw e;
        error = conditionMessage(e);
        if (error !== (e as Error)?.message)
          this.options.logger.warn(
            `applying children of ${this.client.name}/${ns}/${name} failed: ${(e as Error)?.message ?? String(e)}`,
          );
      }
    }
    const observed = validation.valid
      ? {
          leaderWorkerSets: this.observedChildren<LeaderWorkerSet>(
            KINDS.LeaderWorkerSet,
            ns,
            name,
          ),
          pods: this.cached<Pod>(KINDS.Pod, ns, name),
          podGroup: this.observedChildren<PodGroup>(
            KINDS.PodGroup,
            ns,
            name,
          )[0],
          eppDeployment: this.observedChildren<Deployment>(
            KINDS.Deployment,
            ns,
            name,
          )[0],
        }
      : {};
    const derived = deriveStatus(
      {
        ...(validation.valid ? isvc : boundedForStatus(isvc)),
        status: this.stripPruned(isvc.status),
      },
      observed,
      {
        invalid: validation.valid
          ? undefined
          : validation.errors.map(formatIssue).join('; '),
        error,
        conditions: extra,
      },
    );
    const status = this.stripPruned(derived.status)!;
    this.statuses.set(k, status);
    // A status this reconciler just wrote, compared against a cached object the informer has not refreshed yet,
    // looks changed; writing it again would be an echo.
    const digest = sha1(canonicalJson(status));
    const last = this.lastStatusWrite.get(k);
    const echo =
      !!last &&
      last.digest === digest &&
      last.resourceVersionBefore === isvc.metadata.resourceVersion;
    if (derived.changed && !echo && manage) {
      await this.writeStatus(isvc, status);
      this.lastStatusWrite.set(k, {
        digest,
        resourceVersionBefore: isvc.metadata.resourceVersion,
      });
    }
    if (error) throw new Error(error);
  }

  private stripPruned(
    status: InferenceServiceStatus | undefined,
  ): InferenceServiceStatus | undefined {
    if (!status || this.prunedStatusFields.size === 0) return status;
    const out: Record<string, unknown> = { ...status };
    for (const f of this.prunedStatusFields) delete out[f];
    return out as InferenceServiceStatus;
  }

  private async writeStatus(
    isvc: InferenceService,
    status: InferenceServiceStatus,
  ): Promise<void> {
    const patch: Record<string, unknown> = { ...status };
    // Merge patch keeps map keys that are not mentioned: remove components of removed roles explicitly.
    const before = isvc.status?.components ?? {};
    const components: Record<string, unknown> = {
      ...(status.components ?? {}),
    };
    for (const role of Object.keys(before))
      if (!(role in components)) components[role] = null;
    patch.components = components;
    for (const f of Object.keys(isvc.status ?? {}))
      if (!(f in patch) && !this.prunedStatusFields.has(f)) patch[f] = null;
    this.assertLeading('status write');
    const written = await this.client.patchInferenceServiceStatus(
      isvc.metadata.namespace!,
      isvc.metadata.name!,
      patch,
    );
    this.stats.statusWrites++;
    const kept = (written as { status?: Record<string, unknown> }).status ?? {};
    for (const f of Object.keys(status)) {
      if (!(f in kept)) {
        this.prunedStatusFields.add(f);
        this.options.logger.info(
          `cluster ${this.client.name} does not keep status.${f} (older InferenceService CRD); it will not be written again`,
        );
      }
    }
  }

  /** Whether a live child matches the rendered one in every field we manage (spec-hash, owner, rendered fields). */
  private inSync(
    memory: ChildMemory,
    child: KubeObject,
    live: KubeObject,
  ): boolean {
    if (
      live.metadata.labels?.[LABELS.specHash] !==
      child.metadata.labels?.[LABELS.specHash]
    )
      return false;
    const sig = sha1(driftSignature(child, live));
    if (memory.baseline === sig) return true;
    if (liveMatchesRendered(child, live)) {
      memory.baseline = sig;
      return true;
    }
    return false;
  }

  /**
   * Applies the children that are missing, whose spec-hash differs or whose live fields drifted; deletes orphans;
   * returns conditions about conflicts. Never touches an object this service does not control. What each child
   * needs is decided from the informer cache and this reconciler's expectations; only a name the cache does not
   * hold is read from the API server (the cache keeps only labelled objects: a foreign object may hold the name).
   * Writes go out in parallel within the cluster's bound, the kinds others refer to first.
   */
  private async syncChildren(
    isvc: InferenceService,
  ): Promise<ConditionInput[]> {
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const uid = isvc.metadata.uid!;
    const svcKey = key(ns, name);
    const renderOptions = {
      ...(this.options.render ?? {}),
      namespace: ns,
      ownerUid: uid,
    };
    const rendered = renderInferenceService(isvc, renderOptions).children;
    const gate = await this.rolloutGate(isvc, rendered, renderOptions);
    const desired = gate.children;
    const conflicts: string[] = [];
    const wanted = new Set<string>(gate.keep);
    const conflict = (child: KubeObject, live: KubeObject) => {
      const owner = controllerUid(live);
      conflicts.push(
        owner
          ? `${child.kind} ${child.metadata.name} is controlled by another owner (uid ${owner})`
          : `${child.kind} ${child.metadata.name} already exists and does not belong to this InferenceService (no controller reference to it); it is left as it is`,
      );
    };
    type Plan = {
      child: KubeObject;
      kind: KindInfo;
      memory: ChildMemory;
      live?: KubeObject;
      drift?: boolean;
    };
    const plans: Plan[] = [];
    for (const child of desired) {
      const kind = CHILD_KINDS.find(
        c => c.kind === child.kind && c.apiVersion === child.apiVersion,
      )!;
      const childKey = `${kind.kind}/${child.metadata.name}`;
      wanted.add(childKey);
      const memory = this.childMemory(svcKey, childKey);
      const cachedLive = this.cache.get<KubeObject>(
        kind,
        ns,
        child.metadata.name!,
      );
      // Expectations: what this reconciler applied and the informer has not delivered yet (avoids a GET and a
      // second apply of the same object when events of sibling children re-queue the service).
      // An expectation expires after 30 s, so an object deleted before the informer ever saw it is recreated.
      const expected = memory.applied;
      if (
        expected &&
        (Date.now() - expected.at > 30_000 ||
          (cachedLive && !olderThan(cachedLive, expected.object)))
      )
        delete memory.applied;
      // A cached object older than our own apply (the informer lags) must not be mistaken for drift.
      plans.push({
        child,
        kind,
        memory,
        live: memory.applied?.object ?? cachedLive,
      });
    }
    // Not in the cache (which only holds labelled children): a foreign object may still hold the name.
    await settle(
      plans
        .filter(p => !p.live)
        .map(p =>
          this.requests.run(async () => {
            p.live = await this.client.get(p.kind, ns, p.child.metadata.name!);
          }),
        ),
    );
    const toApply: Plan[] = [];
    for (const p of plans) {
      if (p.live) {
        // Never adopt: only an object whose controller reference is this service's UID is ours, labelled or not.
        if (controllerUid(p.live) !== uid) {
          conflict(p.child, p.live);
          continue;
        }
        if (this.inSync(p.memory, p.child, p.live)) continue;
        p.drift =
          p.live.metadata.labels?.[LABELS.specHash] ===
          p.child.metadata.labels?.[LABELS.specHash];
      }
      toApply.push(p);
    }
    const apply = (p: Plan) =>
      this.requests.run(async () => {
        this.assertLeading(`apply of ${p.child.kind} ${p.child.metadata.name}`);
        const result = await this.client.apply(p.child);
        p.memory.applied = { object: result, at: Date.now() };
        p.memory.baseline = sha1(driftSignature(p.child, result));
        this.stats.applies++;
        if (p.drift) {
          this.stats.driftCorrections++;
          this.options.logger.info(
            `${p.child.kind} ${ns}/${p.child.metadata.name} in ${this.client.name} drifted from its rendered form; re-applied`,
          );
        }
      });
    // A workload is not written before what it refers to (a failed first wave stops here).
    await settle(toApply.filter(p => FIRST_WAVE.has(p.kind.kind)).map(apply));
    await settle(toApply.filter(p => !FIRST_WAVE.has(p.kind.kind)).map(apply));
    // Orphans: children of this service that the spec no longer asks for (scale-down, removed role or router,
    // PodGroup no longer needed). Upstream leaves these behind until the service is deleted.
    const orphans: Array<{ kind: KindInfo; live: KubeObject }> = [];
    for (const kind of CHILD_KINDS)
      for (const live of this.cached<KubeObject>(kind, ns, name))
        if (
          controllerUid(live) === uid &&
          !wanted.has(`${kind.kind}/${live.metadata.name}`) &&
          !live.metadata.deletionTimestamp
        )
          orphans.push({ kind, live });
    await settle(
      orphans.map(({ kind, live }) =>
        this.requests.run(async () => {
          this.assertLeading(`delete of ${kind.kind} ${live.metadata.name}`);
          await this.client.delete(kind, ns, live.metadata.name!, {
            uid: live.metadata.uid,
          });
          this.memory.get(svcKey)?.delete(`${kind.kind}/${live.metadata.name}`);
          this.stats.deletes++;
        }),
      ),
    );
    const conflictCondition: ConditionInput =
      conflicts.length > 0
        ? {
            type: 'ChildConflict',
            status: 'True',
            reason: 'ForeignObject',
            message: conflicts.join('; '),
          }
        : {
            type: 'ChildConflict',
            status: 'False',
            reason: 'NoConflict',
            message: 'Every child is owned by this InferenceService',
          };
    const hadConflict = (isvc.status?.conditions ?? []).some(
      c => c.type === 'ChildConflict',
    );
    return [
      ...(conflicts.length > 0 || hadConflict ? [conflictCondition] : []),
      ...(gate.condition ? [gate.condition] : []),
    ];
  }

  /**
   * The rollout gate (see rollout.ts) over the live replica LeaderWorkerSets — each the newer of the cached object and
   * what this reconciler applied last, so a wave just started is never taken for one not started — and the pods.
   * The quota and the cluster's free GPUs are looked at only while a replica's spec differs from the rendered one.
   */
  private async rolloutGate(
    isvc: InferenceService,
    rendered: KubeObject[],
    render: RenderOptions,
  ) {
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const uid = isvc.metadata.uid!;
    const memory = this.memory.get(key(ns, name));
    const liveLws = this.cached<KubeObject>(KINDS.LeaderWorkerSet, ns, name)
      .filter(o => controllerUid(o) === uid)
      .map(o => {
        const applied = memory?.get(`LeaderWorkerSet/${o.metadata.name}`)
          ?.applied?.object;
        return applied && olderThan(o, applied) ? applied : o;
      });
    const byName = new Map(liveLws.map(o => [o.metadata.name, o]));
    const rolling =
      liveLws.some(o => o.metadata.labels?.[SURGE_LABEL] === 'true') ||
      rendered.some(c => {
        const live =
          c.kind === 'LeaderWorkerSet' && byName.get(c.metadata.name);
        return (
          !!live &&
          live.metadata.labels?.[LABELS.specHash] !==
            c.metadata.labels?.[LABELS.specHash]
        );
      });
    let quotaLeft: number | undefined;
    let snapshot: ClusterSnapshot | undefined;
    if (rolling) {
      quotaLeft = await this.options.quotaLeft?.(isvc).catch(() => undefined);
      snapshot = this.cache.snapshot();
    }
    const gate = gateRollout({
      isvc,
      desired: rendered,
      liveLws,
      pods: this.cached<Pod>(KINDS.Pod, ns, name),
      liveRoute: this.cached<KubeObject>(KINDS.HTTPRoute, ns, name).find(
        r => r.metadata.name === childNames.route(name),
      ),
      render,
      surgeBlockedBy: (_role, gpusPerPod, pods) => {
        const gpus = gpusPerPod * pods;
        if (quotaLeft !== undefined && gpus > quotaLeft)
          return `the project may add ${Math.max(0, quotaLeft)} more GPUs here and a surge replica needs ${gpus}`;
        if (!snapshot) return "the cluster's free GPUs are unknown";
        const nodes = snapshot.nodes.filter(
          n => (n.free['nvidia.com/gpu'] ?? 0) >= gpusPerPod,
        ).length;
        return nodes >= pods
          ? undefined
          : `a surge replica needs ${pods} node${pods === 1 ? '' : 's'} with ${gpusPerPod} free GPUs, ${nodes} ${nodes === 1 ? 'has' : 'have'} them`;
      },
    });
    if (gate.canary) this.canaries.set(key(ns, name), gate.canary);
    else this.canaries.delete(key(ns, name));
    return gate;
  }

  /** What the last reconcile saw of the canary of a service (the canary controller acts on it), if it has one. */
  canaryView(namespace: string, name: string): CanaryView | undefined {
    return this.canaries.get(key(namespace, name));
  }
}

/**
 * Waits for every task, then throws the first failure: a reconcile never returns (and is never retried) while
 * writes it started are still in flight.
 */
async function settle(tasks: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find(r => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** True when `a` is known to be an older version than `b` (integer resourceVersions, as etcd issues them). */
function olderThan(a: KubeObject, b: KubeObject): boolean {
  const x = Number(a.metadata.resourceVersion);
  const y = Number(b.metadata.resourceVersion);
  return Number.isSafeInteger(x) && Number.isSafeInteger(y) && x < y;
}

/**
 * A copy of an invalid service that is safe to derive a status from: workload replicas and node counts clamped to
 * the validation limits, so nothing proportional to a hostile count is ever iterated or allocated.
 */
function boundedForStatus(isvc: InferenceService): InferenceService {
  const roles = Array.isArray(isvc.spec?.roles)
    ? isvc.spec.roles.slice(0, LIMITS.roles)
    : [];
  return {
    ...isvc,
    spec: {
      ...isvc.spec,
      roles: roles.map(r => {
        if (!r || typeof r !== 'object') return r;
        const replicas =
          typeof r.replicas === 'number'
            ? Math.max(0, Math.min(r.replicas, LIMITS.replicasPerRole))
            : r.replicas;
        const nodeCount = r.multinode?.nodeCount;
        return {
          ...r,
          replicas,
          ...(r.multinode && typeof nodeCount === 'number'
            ? {
                multinode: {
                  ...r.multinode,
                  nodeCount: Math.max(
                    1,
                    Math.min(nodeCount, LIMITS.nodesPerReplica),
                  ),
                },
              }
            : {}),
        };
      }),
    },
  };
}
