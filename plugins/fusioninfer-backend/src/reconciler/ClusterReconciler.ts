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
  canonicalJson,
  ConditionInput,
  Deployment,
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
}

/** Default namespace of the reconciler's Lease: a namespace of its own, where no generated Role grants anything. */
export const DEFAULT_LEASE_NAMESPACE = 'fusioninfer-system';

const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
const controllerUid = (o: KubeObject) =>
  (o.metadata.ownerReferences ?? []).find(r => r.controller)?.uid;

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
  /** Children applied but not yet seen by the informers (kind/namespace/name → apply response). */
  private readonly applied = new Map<
    string,
    { object: KubeObject; at: number }
  >();
  /**
   * Per child (kind/namespace/name): the signature of its live fields at the rendered paths right after this
   * reconciler applied it (what the API server made of our apply, defaults and normalisation included).
   */
  private readonly driftBaseline = new Map<string, string>();
  /** Last status written per service, with the resourceVersion of the object it was derived from. */
  private readonly lastStatusWrite = new Map<
    string,
    { json: string; resourceVersionBefore?: string }
  >();

  constructor(private readonly options: ClusterReconcilerOptions) {
    this.ownsCache = !options.cache;
    this.cache =
      options.cache ?? new ClusterCache(options.client, options.logger);
    this.queue = new WorkQueue(k => this.reconcile(k), {
      workers: options.workers ?? 4,
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
          this.applied.clear();
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
    const seen = new Set(out.map(o => o.metadata.name));
    for (const [k, e] of this.applied) {
      if (
        !k.startsWith(`${kind.kind}/${ns}/`) ||
        seen.has(e.object.metadata.name) ||
        e.object.metadata.labels?.[LABELS.service] !== svc
      )
        continue;
      out.push(e.object as T);
    }
    return out;
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
      for (const a of [...this.applied.keys()])
        if (
          a.includes(`/${ns}/`) &&
          this.applied.get(a)!.object.metadata.labels?.[LABELS.service] === name
        )
          this.applied.delete(a);
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
    const json = canonicalJson(status);
    const last = this.lastStatusWrite.get(k);
    const echo =
      !!last &&
      last.json === json &&
      last.resourceVersionBefore === isvc.metadata.resourceVersion;
    if (derived.changed && !echo && manage) {
      await this.writeStatus(isvc, status);
      this.lastStatusWrite.set(k, {
        json,
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
    appliedKey: string,
    child: KubeObject,
    live: KubeObject,
  ): boolean {
    if (
      live.metadata.labels?.[LABELS.specHash] !==
      child.metadata.labels?.[LABELS.specHash]
    )
      return false;
    const sig = driftSignature(child, live);
    if (this.driftBaseline.get(appliedKey) === sig) return true;
    if (liveMatchesRendered(child, live)) {
      this.driftBaseline.set(appliedKey, sig);
      return true;
    }
    return false;
  }

  /**
   * Applies the children that are missing, whose spec-hash differs or whose live fields drifted; deletes orphans;
   * returns conditions about conflicts. Never touches an object this service does not control.
   */
  private async syncChildren(
    isvc: InferenceService,
  ): Promise<ConditionInput[]> {
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const uid = isvc.metadata.uid!;
    const desired = renderInferenceService(isvc, {
      ...(this.options.render ?? {}),
      namespace: ns,
      ownerUid: uid,
    }).children;
    const conflicts: string[] = [];
    const wanted = new Set<string>();
    const conflict = (child: KubeObject, live: KubeObject) => {
      const owner = controllerUid(live);
      conflicts.push(
        owner
          ? `${child.kind} ${child.metadata.name} is controlled by another owner (uid ${owner})`
          : `${child.kind} ${child.metadata.name} already exists and does not belong to this InferenceService (no controller reference to it); it is left as it is`,
      );
    };
    for (const child of desired) {
      const kind = CHILD_KINDS.find(
        c => c.kind === child.kind && c.apiVersion === child.apiVersion,
      )!;
      wanted.add(`${child.kind}/${child.metadata.name}`);
      const appliedKey = `${kind.kind}/${ns}/${child.metadata.name}`;
      const cachedLive = this.cache.get<KubeObject>(
        kind,
        ns,
        child.metadata.name!,
      );
      // Expectations: what this reconciler applied and the informer has not delivered yet (avoids a GET and a
      // second apply of the same object when events of sibling children re-queue the service).
      // An expectation expires after 30 s, so an object deleted before the informer ever saw it is recreated.
      const expected = this.applied.get(appliedKey);
      if (
        expected &&
        (Date.now() - expected.at > 30_000 ||
          (cachedLive && !olderThan(cachedLive, expected.object)))
      )
        this.applied.delete(appliedKey);
      // A cached object older than our own apply (the informer lags) must not be mistaken for drift.
      let live = this.applied.get(appliedKey)?.object ?? cachedLive;
      if (!live) {
        // Not in the cache (which only holds labelled children): a foreign object may still hold the name.
        live = await this.client.get(kind, ns, child.metadata.name!);
      }
      let drift = false;
      if (live) {
        // Never adopt: only an object whose controller reference is this service's UID is ours, labelled or not.
        if (controllerUid(live) !== uid) {
          conflict(child, live);
          continue;
        }
        if (this.inSync(appliedKey, child, live)) continue;
        drift =
          live.metadata.labels?.[LABELS.specHash] ===
          child.metadata.labels?.[LABELS.specHash];
      }
      this.assertLeading(`apply of ${child.kind} ${child.metadata.name}`);
      const result = await this.client.apply(child);
      this.applied.set(appliedKey, { object: result, at: Date.now() });
      this.driftBaseline.set(appliedKey, driftSignature(child, result));
      this.stats.applies++;
      if (drift) {
        this.stats.driftCorrections++;
        this.options.logger.info(
          `${child.kind} ${ns}/${child.metadata.name} in ${this.client.name} drifted from its rendered form; re-applied`,
        );
      }
    }
    // Orphans: children of this service that the spec no longer asks for (scale-down, removed role or router,
    // PodGroup no longer needed). Upstream leaves these behind until the service is deleted.
    for (const kind of CHILD_KINDS) {
      for (const live of this.cached<KubeObject>(kind, ns, name)) {
        if (
          controllerUid(live) !== uid ||
          wanted.has(`${kind.kind}/${live.metadata.name}`) ||
          live.metadata.deletionTimestamp
        )
          continue;
        this.assertLeading(`delete of ${kind.kind} ${live.metadata.name}`);
        await this.client.delete(kind, ns, live.metadata.name!, {
          uid: live.metadata.uid,
        });
        this.applied.delete(`${kind.kind}/${ns}/${live.metadata.name}`);
        this.driftBaseline.delete(`${kind.kind}/${ns}/${live.metadata.name}`);
        this.stats.deletes++;
      }
    }
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
    return conflicts.length > 0 || hadConflict ? [conflictCondition] : [];
  }
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
