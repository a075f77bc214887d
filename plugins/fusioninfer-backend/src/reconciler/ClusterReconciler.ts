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
  Pod,
  PodGroup,
  renderInferenceService,
  RenderOptions,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  CHILD_KINDS,
  ClusterClient,
  KindInfo,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { LeaderElector } from './LeaderElector';
import { WorkQueue } from './WorkQueue';

/** Counters of what the reconciler asked the API server to do. */
export interface ReconcilerStats {
  reconciles: number;
  applies: number;
  deletes: number;
  statusWrites: number;
  errors: number;
}

export interface ClusterReconcilerOptions {
  client: ClusterClient;
  logger: LoggerService;
  render?: RenderOptions;
  workers?: number;
  resyncSeconds?: number;
  leaderElection?:
    | {
        namespace: string;
        name?: string;
        identity: string;
        leaseDurationSeconds?: number;
      }
    | false;
  /** Retry back-off base (ms). */
  baseDelayMs?: number;
}

type Informer = ReturnType<ClusterClient['informer']>;
const key = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
const controllerUid = (o: KubeObject) =>
  (o.metadata.ownerReferences ?? []).find(r => r.controller)?.uid;

/**
 * The FusionInfer controller for one cluster: list+watch of InferenceServices and their children (informers),
 * a de-duplicating work queue, and per service: validate → render → apply what changed → delete orphans →
 * derive status → write status only when it changed. With mode: observe it only derives status.
 */
export class ClusterReconciler {
  readonly stats: ReconcilerStats = {
    reconciles: 0,
    applies: 0,
    deletes: 0,
    statusWrites: 0,
    errors: 0,
  };
  private informers = new Map<string, Informer>();
  private isvcInformer?: Informer;
  private queue: WorkQueue;
  private elector?: LeaderElector;
  private resyncTimer?: NodeJS.Timeout;
  private leading = false;
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
  /** Last status written per service, with the resourceVersion of the object it was derived from. */
  private readonly lastStatusWrite = new Map<
    string,
    { json: string; resourceVersionBefore?: string }
  >();

  constructor(private readonly options: ClusterReconcilerOptions) {
    this.queue = new WorkQueue(k => this.reconcile(k), {
      workers: options.workers ?? 4,
      baseDelayMs: options.baseDelayMs ?? 200,
      onError: (k, e, attempt) => {
        this.stats.errors++;
        options.logger.warn(
          `reconcile of ${this.client.name}/${k} failed (attempt ${attempt}): ${(e as Error).message}`,
        );
      },
    });
  }

  get client(): ClusterClient {
    return this.options.client;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts informers, then reconciles (only while leading, when leader election is on). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.isvcInformer = this.startInformer(
      KINDS.InferenceService,
      undefined,
      o => this.enqueue(key(o.metadata.namespace, o.metadata.name!)),
    );
    for (const kind of [...CHILD_KINDS, KINDS.Pod]) {
      this.informers.set(
        kind.kind,
        this.startInformer(kind, LABELS.service, o => {
          const svc = o.metadata.labels?.[LABELS.service];
          if (svc) this.enqueue(key(o.metadata.namespace, svc));
        }),
      );
    }
    await Promise.all(
      [this.isvcInformer, ...this.informers.values()].map(i =>
        i
          .start()
          .catch(e =>
            this.options.logger.warn(
              `informer failed to start in ${this.client.name}: ${e.message}`,
            ),
          ),
      ),
    );
    if (this.options.leaderElection && !this.client.readOnly) {
      const le = this.options.leaderElection;
      this.elector = new LeaderElector(this.client.leases(), {
        namespace: le.namespace,
        name: le.name ?? 'fusioninfer-backstage-reconciler',
        identity: le.identity,
        leaseDurationSeconds: le.leaseDurationSeconds ?? 15,
        onStartedLeading: () => {
          this.options.logger.info(
            `leading reconciliation of cluster ${this.client.name}`,
          );
          this.leading = true;
          this.enqueueAll();
        },
        onStoppedLeading: () => {
          this.options.logger.info(
            `stopped leading reconciliation of cluster ${this.client.name}`,
          );
          this.leading = false;
        },
        onError: e =>
          this.options.logger.warn(
            `leader election in ${this.client.name}: ${(e as Error).message}`,
          ),
      });
      this.elector.start();
    } else {
      this.leading = true;
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
    for (const i of [this.isvcInformer, ...this.informers.values()])
      await i?.stop().catch(() => undefined);
  }

  /** Resolves when nothing is queued or running. */
  drained(): Promise<void> {
    return this.queue.drained();
  }

  private startInformer(
    kind: KindInfo,
    labelSelector: string | undefined,
    onChange: (o: KubeObject) => void,
  ): Informer {
    const informer = this.client.informer(kind, undefined, labelSelector);
    for (const ev of ['add', 'update', 'delete'] as const)
      informer.on(ev, (o: any) => onChange(o));
    informer.on('error', (err: unknown) => {
      if (!this.started) return; // stopping aborts the watches
      this.options.logger.warn(
        `watch of ${kind.kind} in ${this.client.name} failed (${(err as Error)?.message}); restarting`,
      );
      setTimeout(() => {
        if (this.started) informer.start().catch(() => undefined);
      }, 1000);
    });
    return informer;
  }

  private enqueue(k: string) {
    if (this.leading || this.client.readOnly) this.queue.add(k);
  }

  enqueueAll(): void {
    for (const o of this.isvcInformer?.list() ?? [])
      this.enqueue(key(o.metadata!.namespace, o.metadata!.name!));
  }

  private cached<T extends KubeObject>(
    kind: KindInfo,
    ns: string,
    svc: string,
  ): T[] {
    const inf = this.informers.get(kind.kind);
    return ((inf?.list(ns) ?? []) as unknown as T[]).filter(
      o => o.metadata.labels?.[LABELS.service] === svc,
    );
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
    const isvc =
      (this.isvcInformer?.get(name, ns) as unknown as
        InferenceService | undefined) ??
      (await this.client.get<InferenceService>(
        KINDS.InferenceService,
        ns,
        name,
      ));
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
    const validation = validateInferenceService(isvc);
    const extra: ConditionInput[] = [];
    let error: string | undefined;
    if (validation.valid && !this.client.readOnly) {
      try {
        extra.push(...(await this.syncChildren(isvc)));
      } catch (e) {
        error = (e as Error).message;
      }
    }
    const observed = {
      leaderWorkerSets: this.observedChildren<LeaderWorkerSet>(
        KINDS.LeaderWorkerSet,
        ns,
        name,
      ),
      pods: this.cached<Pod>(KINDS.Pod, ns, name),
      podGroup: this.observedChildren<PodGroup>(KINDS.PodGroup, ns, name)[0],
      eppDeployment: this.observedChildren<Deployment>(
        KINDS.Deployment,
        ns,
        name,
      )[0],
    };
    const derived = deriveStatus(
      { ...isvc, status: this.stripPruned(isvc.status) },
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
    if (derived.changed && !echo && !this.client.readOnly) {
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

  /** Applies the children whose spec-hash differs, deletes orphans; returns conditions about conflicts. */
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
    for (const child of desired) {
      const kind = CHILD_KINDS.find(
        c => c.kind === child.kind && c.apiVersion === child.apiVersion,
      )!;
      wanted.add(`${child.kind}/${child.metadata.name}`);
      const inf = this.informers.get(kind.kind);
      const appliedKey = `${kind.kind}/${ns}/${child.metadata.name}`;
      const cachedLive = inf?.get(child.metadata.name!, ns) as unknown as
        KubeObject | undefined;
      // Expectations: what this reconciler applied and the informer has not delivered yet (avoids a GET and a
      // second apply of the same object when events of sibling children re-queue the service).
      // An expectation expires after 30 s, so an object deleted before the informer ever saw it is recreated.
      const expected = this.applied.get(appliedKey);
      if (cachedLive || (expected && Date.now() - expected.at > 30_000))
        this.applied.delete(appliedKey);
      const live = cachedLive ?? this.applied.get(appliedKey)?.object;
      if (live) {
        const owner = controllerUid(live);
        if (owner && owner !== uid) {
          conflicts.push(
            `${child.kind} ${child.metadata.name} is controlled by another owner (uid ${owner})`,
          );
          continue;
        }
        if (!owner && live.metadata.labels?.[LABELS.service] !== name) {
          conflicts.push(
            `${child.kind} ${child.metadata.name} already exists and does not belong to this InferenceService`,
          );
          continue;
        }
        const same =
          live.metadata.labels?.[LABELS.specHash] ===
            child.metadata.labels?.[LABELS.specHash] &&
          owner === uid &&
          canonicalJson(live.metadata.labels) ===
            canonicalJson({
              ...live.metadata.labels,
              ...child.metadata.labels,
            });
        if (same) continue;
      } else {
        // Not in the cache (which only holds labelled children): a foreign object may still hold the name.
        const fresh = await this.client.get(kind, ns, child.metadata.name!);
        const owner = fresh ? controllerUid(fresh) : undefined;
        if (fresh && owner && owner !== uid) {
          conflicts.push(
            `${child.kind} ${child.metadata.name} is controlled by another owner (uid ${owner})`,
          );
          continue;
        }
        if (
          fresh &&
          !owner &&
          fresh.metadata.labels?.[LABELS.service] !== name
        ) {
          conflicts.push(
            `${child.kind} ${child.metadata.name} already exists and does not belong to this InferenceService`,
          );
          continue;
        }
        if (
          fresh &&
          owner === uid &&
          fresh.metadata.labels?.[LABELS.specHash] ===
            child.metadata.labels?.[LABELS.specHash]
        )
          continue;
      }
      const result = await this.client.apply(child);
      this.applied.set(appliedKey, { object: result, at: Date.now() });
      this.stats.applies++;
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
        await this.client.delete(kind, ns, live.metadata.name!, {
          uid: live.metadata.uid,
        });
        this.applied.delete(`${kind.kind}/${ns}/${live.metadata.name}`);
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
