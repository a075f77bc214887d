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
  ApprovalRequest,
  ApprovalSummary,
  InferenceService,
  RenderOptions,
  specHash,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import { ConflictError } from '@backstage/errors';
import { callerSafeClusterError } from '../auth/clusterErrors';
import { ApprovalHold, HoldInput } from '../changes/operations';
import { policyBody } from '../changes/policyBody';
import {
  ChangeRequest,
  ChangeReview,
  isTransient,
  manifestSha256,
  requesterCaller,
  ServiceWriter,
} from '../changes/ServiceWriter';
import { approvalSummaryOf } from '../changes/summary';
import { ApprovalStore, StoredApplyOptions } from './ApprovalStore';

/** How a request stored before the writer recorded its kind is applied. */
function legacyKind(
  action: ApprovalRequest['action'],
  options: StoredApplyOptions,
): ChangeRequest['kind'] {
  if (action === 'delete') return 'delete';
  if (options.baseGeneration === undefined) return 'apply';
  return action === 'scale' ? 'scale' : 'strategy';
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
  /** Retries of transient cluster failures while executing (default 4 attempts, 1 s doubling). */
  retry?: { attempts: number; firstDelayMs: number };
}

/**
 * The approval gate: files the request that a change held by the policy (`evaluateChange`, asked by the writer) needs
 * held change needs (bound to the manifest's hash and the caller), and executes approved requests exactly once.
 */
export class ApprovalGate implements ApprovalHold {
  constructor(private readonly o: ApprovalGateOptions) {
    if (o.policy && !o.store)
      throw new Error('an approval policy needs an approval store');
  }

  private get store(): ApprovalStore {
    if (!this.o.store) throw new Error('approvals are not configured');
    return this.o.store;
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
    policy?: ApprovalRequest['policy'];
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
      options: {
        ...(input.options ?? {}),
        ...(input.policy ? { policy: input.policy } : {}),
      },
      ttlSeconds: this.o.ttlSeconds,
      taskId: input.taskId,
    });
    this.o.onChange?.('created', created);
    return created;
  }

  /**
   * Holds a reviewed change for approval ({@link ApprovalGate.hold}): the request stores the manifest with its
   * SHA-256, the live UID it was made against (none for a new service), the apply options and the policy's verdict.
   */
  async holdChange(
    review: ChangeReview,
    change: ChangeRequest,
    input: HoldInput,
  ): Promise<ApprovalRequest> {
    const manifest = (review.next ??
      review.live ??
      change.manifest) as InferenceService;
    return this.hold({
      action: review.action,
      cluster: change.cluster,
      namespace: change.namespace,
      manifest,
      requestedBy: input.requestedBy,
      verdict: {
        required: true,
        reasons: input.reasons ?? review.verdict.reasons,
        summary: approvalSummaryOf(manifest, change.namespace),
      },
      entityRef: review.entityRef,
      taskId: input.taskId,
      options: {
        ...(input.options ?? {}),
        kind: change.kind,
        ...(change.canaryCommand
          ? { canaryCommand: change.canaryCommand }
          : {}),
        // A scale, strategy or rollout change applies only onto the generation it was computed from.
        ...((change.kind === 'scale' ||
          change.kind === 'strategy' ||
          change.kind === 'rollout' ||
          change.kind === 'canary') &&
        review.live?.metadata.generation !== undefined
          ? { baseGeneration: review.live.metadata.generation }
          : {}),
        expectUid: review.live?.metadata.uid ?? null,
        sha256: manifestSha256(manifest),
      },
      policy: policyBody(review),
    });
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
      if (options.sha256 && manifestSha256(manifest) !== options.sha256)
        throw new ConflictError(
          'the stored manifest does not match its SHA-256; nothing applied',
        );
      // Transient failures of the cluster (5xx, 429, no answer) are retried with back-off; the rest is final.
      const retry = this.o.retry ?? { attempts: 4, firstDelayMs: 1000 };
      for (let attempt = 1; ; attempt++) {
        try {
          message = await this.run(request, manifest, options);
          break;
        } catch (e) {
          if (!isTransient(e) || attempt >= retry.attempts) throw e;
          await new Promise(r =>
            setTimeout(r, retry.firstDelayMs * 2 ** (attempt - 1)),
          );
        }
      }
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

  /**
   * Applies an approved request through the one writer, as its requester: the rights (entities, owner group) and the
   * policy (project, pod security, quota) are checked again now, the live service must still be the one the request
   * was made against (its UID), and a scale or strategy change only applies onto the generation it was computed from.
   */
  private async run(
    request: ApprovalRequest,
    manifest: InferenceService,
    options: StoredApplyOptions,
  ): Promise<string> {
    const writer = this.writer;
    if (!writer) throw new Error('approvals: no writer configured');
    const ref = `${request.cluster}/${request.namespace}/${request.name}`;
    const kind = options.kind ?? legacyKind(request.action, options);
    const change: ChangeRequest = {
      cluster: request.cluster,
      namespace: request.namespace,
      name: request.name,
      kind,
      ...(kind === 'delete' ? {} : { manifest }),
      ...(options.canaryCommand
        ? { canaryCommand: options.canaryCommand }
        : {}),
    };
    // As its requester; a request of the autoscaler as the autoscaler, whose policy on the live service is checked
    // again instead of a membership (ServiceWriter.review).
    const review = await writer.review(
      requesterCaller(request.requestedBy),
      change,
    );
    if (
      options.baseGeneration !== undefined &&
      review.live?.metadata.generation !== options.baseGeneration
    )
      throw new ConflictError(
        `${ref} changed since the request (generation ${options.baseGeneration} → ${review.live?.metadata.generation ?? 'deleted'}); nothing applied, make a new request`,
      );
    const out = await writer.write(review, change, {
      children: options.children,
      update: options.update,
      ...(options.expectUid !== undefined
        ? { expectUid: options.expectUid }
        : {}),
    });
    if (kind === 'delete')
      return out.deleted ? `deleted ${ref}` : `${ref} did not exist`;
    if (kind !== 'apply')
      return `applied the approved change to ${ref} (generation ${options.baseGeneration})`;
    return `${out.created ? 'created' : 'applied'} ${ref}${out.children ? ` and ${out.children.length} children` : ''}`;
  }

  private writer?: ServiceWriter;

  /** The one writer that executes approved requests (set once the router has built it). */
  useWriter(writer: ServiceWriter): void {
    this.writer = writer;
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
