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
  ApprovalAction,
  ApprovalPolicy,
  approvalRequired,
  ApprovalRequest,
  ApprovalSummary,
  InferenceService,
  RenderOptions,
  specHash,
  summarizeInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { callerSafeClusterError } from '../clusterErrors';
import { ApprovalStore, StoredApplyOptions } from './ApprovalStore';
import { applyService } from './applyService';

/** GPUs, pods and roles of a service (the approval summary), by arithmetic on the spec: nothing is rendered. */
export function approvalSummaryOf(
  isvc: InferenceService,
  namespace: string,
): ApprovalSummary {
  const summary = summarizeInferenceService(isvc, { namespace });
  return {
    gpus: summary.totals.gpus,
    pods: summary.totals.pods,
    roles: summary.roles.map(r => ({
      name: r.name,
      ...(r.componentType ? { componentType: r.componentType } : {}),
      replicas: r.replicas,
      nodesPerReplica: r.nodesPerReplica,
      gpus: Object.values(r.accelerators).reduce((a, b) => a + b, 0),
    })),
  };
}

/** The verdict of the policy on one change. */
export interface GateVerdict {
  required: boolean;
  reasons: string[];
  summary: ApprovalSummary;
}

/** Events the gate reports (notifications). */
export type ApprovalEvent = 'created' | 'decided' | 'cancelled' | 'executed';

/** Dependencies of {@link ApprovalGate}. */
export interface ApprovalGateOptions {
  /** Where requests are kept; without one (and without a policy) nothing is ever held. */
  store?: ApprovalStore;
  logger: LoggerService;
  policy?: ApprovalPolicy;
  /** Pending requests expire after this many seconds. */
  ttlSeconds: number;
  client(cluster: string): ClusterClient;
  entityRefOf(isvc: InferenceService, cluster: string): string;
  render?: RenderOptions;
  onChange?(event: ApprovalEvent, approval: ApprovalRequest): void;
  /** A claim of an execution older than this is taken over (an instance died while applying). Default 10 min. */
  executionLeaseMs?: number;
}

/**
 * The approval gate: evaluates the policy wherever GPUs can grow (apply, scale, strategy), files the request that a
 * held change needs (bound to the manifest's hash and the caller), and executes approved requests exactly once.
 */
export class ApprovalGate {
  constructor(private readonly o: ApprovalGateOptions) {
    if (o.policy && !o.store)
      throw new Error('an approval policy needs an approval store');
  }

  private get store(): ApprovalStore {
    if (!this.o.store) throw new Error('approvals are not configured');
    return this.o.store;
  }

  /**
   * The policy on a change from `previous` (undefined: a new service) to `next`. GPU and pod thresholds hold a new
   * service over them, or a change that grows GPUs or pods over them; `always`, `namespaces` and `clusters` hold every
   * change except one that only shrinks the service (a scale-down is never held).
   */
  evaluate(input: {
    cluster: string;
    namespace: string;
    next: InferenceService;
    previous?: InferenceService;
  }): GateVerdict {
    const summary = approvalSummaryOf(input.next, input.namespace);
    const p = this.o.policy;
    if (!p) return { required: false, reasons: [], summary };
    const before = input.previous
      ? approvalSummaryOf(input.previous, input.namespace)
      : undefined;
    const grows =
      !before || summary.gpus > before.gpus || summary.pods > before.pods;
    const shrinksOnly =
      !!before &&
      !grows &&
      (summary.gpus < before.gpus || summary.pods < before.pods);
    const totals = {
      totals: {
        gpus: summary.gpus,
        pods: summary.pods,
        accelerators: {},
        children: 0,
      },
    };
    const reasons = [
      ...(grows
        ? approvalRequired(
            {
              cluster: input.cluster,
              namespace: input.namespace,
              summary: totals,
            },
            {
              maxGpusWithoutApproval: p.maxGpusWithoutApproval,
              maxPodsWithoutApproval: p.maxPodsWithoutApproval,
            },
          ).reasons
        : []),
      ...(shrinksOnly
        ? []
        : approvalRequired(
            { cluster: input.cluster, namespace: input.namespace },
            {
              always: p.always,
              namespaces: p.namespaces,
              clusters: p.clusters,
            },
          ).reasons),
    ];
    return { required: reasons.length > 0, reasons, summary };
  }

  /**
   * Files (or, for the same caller and the same manifest, reuses) the pending request of a held change. Nothing is
   * applied.
   */
  async hold(input: {
    action: ApprovalAction;
    cluster: string;
    namespace: string;
    manifest: InferenceService;
    requestedBy: string;
    verdict: GateVerdict;
    entityRef: string;
    taskId?: string;
    options?: StoredApplyOptions;
  }): Promise<ApprovalRequest> {
    const hash = specHash(input.manifest);
    const name = input.manifest.metadata.name!;
    const existing = await this.store.findPending({
      requestedBy: input.requestedBy,
      cluster: input.cluster,
      namespace: input.namespace,
      name,
      action: input.action,
      specHash: hash,
    });
    if (existing) return existing;
    const created = await this.store.add({
      action: input.action,
      cluster: input.cluster,
      namespace: input.namespace,
      name,
      entityRef: input.entityRef,
      requestedBy: input.requestedBy,
      reasons: input.verdict.reasons,
      summary: input.verdict.summary,
      manifest: input.manifest,
      specHash: hash,
      options: input.options,
      ttlSeconds: this.o.ttlSeconds,
      taskId: input.taskId,
    });
    this.o.onChange?.('created', created);
    return created;
  }

  /**
   * Executes an approved request exactly once: the claim is one conditional UPDATE, so concurrent decisions, retries
   * and restarts cannot apply it twice. Applies exactly the stored manifest (its hash is checked again), records the
   * outcome on the request and notifies the requester. Returns the request as it ends up (unchanged when another
   * caller holds the claim).
   */
  async execute(id: string): Promise<ApprovalRequest | undefined> {
    const stale = new Date(Date.now() - (this.o.executionLeaseMs ?? 600_000));
    if (!(await this.store.claimExecution(id, stale)))
      return (await this.store.executionInput(id))?.request;
    const input = await this.store.executionInput(id);
    if (!input) return undefined;
    const { request, options } = input;
    let state: 'applied' | 'failed' = 'applied';
    let message: string | undefined;
    try {
      const manifest = input.manifest as InferenceService;
      if (request.specHash && specHash(manifest) !== request.specHash)
        throw new ConflictError(
          'the stored manifest does not match the approved hash; nothing applied',
        );
      message = await this.run(request, manifest, options);
    } catch (e) {
      state = 'failed';
      this.o.logger.warn(`approval request ${id} failed to apply`, e as Error);
      // Recorded on the request and sent in notifications: no cluster URL, TLS or socket detail.
      message = callerSafeClusterError(
        e,
        request.cluster,
        this.o.logger,
      ).message;
    }
    const done = await this.store.finishExecution(id, state, message);
    this.o.onChange?.('executed', done);
    return done;
  }

  private async run(
    request: ApprovalRequest,
    manifest: InferenceService,
    options: StoredApplyOptions,
  ): Promise<string> {
    const client = this.o.client(request.cluster);
    const ref = `${request.cluster}/${request.namespace}/${request.name}`;
    if (request.action === 'delete') {
      const gone = await client.delete(
        KINDS.InferenceService,
        request.namespace,
        request.name,
      );
      return gone ? `deleted ${ref}` : `${ref} did not exist`;
    }
    if (options.baseGeneration !== undefined) {
      // A scale or strategy change: only onto the generation it was computed from.
      const live = await client.get<InferenceService>(
        KINDS.InferenceService,
        request.namespace,
        request.name,
      );
      if (!live)
        throw new NotFoundError(`${ref} no longer exists; nothing applied`);
      if (live.metadata.generation !== options.baseGeneration)
        throw new ConflictError(
          `${ref} changed since the request (generation ${options.baseGeneration} → ${live.metadata.generation}); nothing applied, make a new request`,
        );
      await client.mergePatch(
        KINDS.InferenceService,
        request.namespace,
        request.name,
        {
          metadata: { resourceVersion: live.metadata.resourceVersion },
          spec: { roles: manifest.spec.roles },
        },
      );
      return `applied the approved change to ${ref} (generation ${options.baseGeneration})`;
    }
    const out = await applyService(client, manifest, {
      entityRef:
        request.entityRef ?? this.o.entityRefOf(manifest, request.cluster),
      entityRefOfLive: live => this.o.entityRefOf(live, request.cluster),
      children: options.children,
      update: options.update,
      render: this.o.render,
    });
    return `${out.created ? 'created' : 'applied'} ${ref}${out.children ? ` and ${out.children.length} children` : ''}`;
  }

  /** Reports an event (notifications). */
  notify(event: ApprovalEvent, approval: ApprovalRequest): void {
    this.o.onChange?.(event, approval);
  }

  /** Executes every approved request not executed yet (start-up: a restart between approval and apply). */
  async recover(): Promise<number> {
    const stale = new Date(Date.now() - (this.o.executionLeaseMs ?? 600_000));
    let n = 0;
    for (const id of await this.store.unexecuted(stale)) {
      const r = await this.execute(id);
      if (r?.execution && r.execution.state !== 'applying') n++;
    }
    return n;
  }
}
