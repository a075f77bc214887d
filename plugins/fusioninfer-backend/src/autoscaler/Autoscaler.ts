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
  ApprovalRequest,
  AUTOSCALING_ANNOTATION,
  AutoscalingDecision,
  AutoscalingSamples,
  decide,
  InferenceService,
  readAutoscalingPolicies,
  recordAutoscalingChange,
  validateInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { callerSafeClusterError } from '../auth/clusterErrors';
import { ApprovalHold } from '../changes/operations';
import {
  AUTOSCALER_REQUESTER,
  ChangeRequest,
  ServiceWriter,
} from '../changes/ServiceWriter';
import { MetricsCollector } from '../metrics/MetricsCollector';
import { ServiceSource } from '../views/ServiceSource';
import {
  AutoscalerAction,
  AutoscalerRecord,
  AutoscalerStore,
} from './AutoscalerStore';
import { Rounds } from '../lib/rounds';

/** The autoscaler's approval requests of one service (the approvals layer, wired by the plugin). */
export interface AutoscalerApprovals {
  /** The autoscaler's newest approval request for the service, whatever its status. */
  latest(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<ApprovalRequest | undefined>;
  /** Withdraws a pending request of the autoscaler (the load no longer asks for it). */
  cancel(id: string): Promise<void>;
}

/** Options of {@link Autoscaler}. */
export interface AutoscalerOptions {
  logger: LoggerService;
  source: ServiceSource;
  metrics: MetricsCollector;
  writer: ServiceWriter;
  /** Where a change the approval policy holds goes (the approval gate). */
  hold: ApprovalHold;
  approvals?: AutoscalerApprovals;
  store: AutoscalerStore;
  /** Whether this instance may write in a cluster now (its reconciler leads it). */
  isLeader(cluster: string): boolean;
  /** Between decisions (default 15 s). */
  intervalMs: number;
  /** After a rejected request, no new one for this long (default 1 h). */
  rejectionBackoffMs: number;
  /** Accelerator resources counted as GPUs (governance configuration). */
  acceleratorResources?: string[];
  /** Services decided at once per cluster (default 4). */
  concurrency?: number;
  now?: () => number;
}

const ref = (cluster: string, isvc: InferenceService) =>
  `${cluster}/${isvc.metadata.namespace}/${isvc.metadata.name}`;

async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (t: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * The role autoscaler: every `intervalMs`, in each cluster this instance leads, for every InferenceService with the
 * `fusioninfer.io/autoscaling` annotation, reads the roles' model-server metrics through the metrics collector (which
 * therefore keeps collecting them), decides with common's `decide` (HPA semantics, quota, gang fit, approvals) and
 * records the decision. Roles in `acting` mode are changed on the InferenceService — never a child — through the one
 * writer as the caller `autoscaler` (the writer lets it set only what the owners' policy allows); a change the approval
 * policy holds becomes an approval request filed by `autoscaler`. `advisory` roles are never written.
 */
export class Autoscaler {
  private readonly rounds: Rounds;
  /** The records of the services this instance decides, by "cluster/namespace/name" (the database has them too). */
  private readonly memory = new Map<string, AutoscalerRecord>();
  private readonly now: () => number;

  constructor(private readonly o: AutoscalerOptions) {
    this.now = o.now ?? Date.now;
    this.rounds = new Rounds({
      intervalMs: o.intervalMs,
      round: () => this.tick(),
      onError: e => o.logger.warn(`autoscaling round failed: ${e.message}`),
    });
  }

  start(): void {
    this.rounds.start();
  }

  async stop(): Promise<void> {
    await this.rounds.stop();
  }

  /** One round over every cluster this instance leads. */
  async tick(): Promise<void> {
    for (const cluster of this.o.source.clusterNames()) {
      if (!this.o.isLeader(cluster)) {
        // Another instance decides here; its records are in the database, and a later leadership starts from them.
        for (const k of [...this.memory.keys()])
          if (k.startsWith(`${cluster}/`)) this.memory.delete(k);
        continue;
      }
      let services: InferenceService[];
      try {
        services = await this.o.source.listServices(cluster);
      } catch (e) {
        this.o.logger.warn(
          `autoscaler: cannot list the services of cluster ${cluster}: ${(e as Error).message}`,
        );
        continue;
      }
      const autoscaled = services.filter(
        s => s.metadata.annotations?.[AUTOSCALING_ANNOTATION] !== undefined,
      );
      await mapLimit(autoscaled, this.o.concurrency ?? 4, s =>
        this.decideService(cluster, s).catch(e =>
          this.o.logger.warn(
            `autoscaler: deciding ${ref(cluster, s)} failed: ${(e as Error).message}`,
          ),
        ),
      );
      const keep = new Set(
        autoscaled.map(s => `${s.metadata.namespace}/${s.metadata.name}`),
      );
      for (const k of [...this.memory.keys()])
        if (
          k.startsWith(`${cluster}/`) &&
          !keep.has(k.slice(cluster.length + 1))
        )
          this.memory.delete(k);
      await this.o.store.retain(cluster, keep);
    }
  }

  /** Decides one service now (and acts on its acting roles); returns the decision. */
  async decideService(
    cluster: string,
    isvc: InferenceService,
  ): Promise<AutoscalingDecision> {
    const { source, metrics, writer, store } = this.o;
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const key = `${cluster}/${ns}/${name}`;
    const now = this.now();
    const uid = isvc.metadata.uid;
    let record = this.memory.get(key) ?? (await store.get(cluster, ns, name));
    // A new service of the same name starts afresh.
    if (record && record.uid !== uid) record = undefined;
    const policies = readAutoscalingPolicies(isvc);
    let samples: AutoscalingSamples = {};
    try {
      samples = (await metrics.get(source.client(cluster), isvc)).roles;
    } catch (e) {
      // No metrics is "no signal" in every role's decision; the cause is in the log.
      this.o.logger.warn(
        `autoscaler: metrics of ${key} unavailable: ${(e as Error).message}`,
      );
    }
    const latest = await this.o.approvals?.latest(cluster, ns, name);
    const pending = latest?.status === 'pending' ? latest.id : undefined;
    const base = {
      service: isvc,
      ...(this.o.acceleratorResources
        ? { acceleratorResources: this.o.acceleratorResources }
        : {}),
      ...(pending ? { approvalPending: pending } : {}),
    };
    const state = record?.state ?? {};
    let d = decide(samples, state, policies, now, base);
    if (d.changes.some(c => c.to > c.from)) {
      // Growth is capped by the project's quota and by what the cluster can place: asked only when it grows.
      const quotaGpusLeft = await writer
        .quotaLeft(cluster, isvc)
        .catch(() => undefined);
      const snapshot = source.snapshot?.(cluster, { namespace: ns, name });
      d = decide(samples, state, policies, now, {
        ...base,
        ...(quotaGpusLeft !== undefined ? { quotaGpusLeft } : {}),
        ...(snapshot ? { snapshot } : {}),
      });
    }
    const actions: Record<string, AutoscalerAction> = {
      ...(record?.actions ?? {}),
    };
    const at = new Date(now).toISOString();
    let nextState = d.state;
    if (
      pending &&
      d.roles.length &&
      !d.roles.some(r => r.mode === 'acting' && r.recommendation > r.current)
    ) {
      // The load no longer asks for what the pending request asks: withdrawn, so nobody approves a stale scale-up.
      await this.o.approvals!.cancel(pending);
      for (const r of d.roles)
        actions[r.role] = {
          at,
          outcome: 'refused',
          message: `withdrew approval request ${pending}: the load no longer asks for more replicas`,
          approvalId: pending,
        };
    }
    const acting = d.changes.filter(c => c.mode === 'acting');
    if (acting.length && this.o.isLeader(cluster)) {
      const action = await this.act(cluster, isvc, acting, latest, now);
      for (const c of acting) {
        actions[c.role] = action;
        if (action.outcome === 'scaled')
          nextState = recordAutoscalingChange(nextState, c.role, {
            from: c.from,
            to: c.to,
            at: now,
          });
      }
    }
    const next: AutoscalerRecord = {
      cluster,
      namespace: ns,
      name,
      ...(uid ? { uid } : {}),
      state: nextState,
      roles: d.roles,
      actions,
      decidedAt: at,
    };
    this.memory.set(key, next);
    await store.put(next);
    return { ...d, state: nextState };
  }

  /**
   * Changes the acting roles' replicas on the live service through the writer, as the autoscaler: the writer checks
   * the owners' policy on the live service again, the project's policy decides (quota refuses, the threshold holds
   * for approval), and the patch applies only onto the version read.
   */
  private async act(
    cluster: string,
    isvc: InferenceService,
    changes: AutoscalingDecision['changes'],
    latest: ApprovalRequest | undefined,
    now: number,
  ): Promise<AutoscalerAction> {
    const { writer, source } = this.o;
    const at = new Date(now).toISOString();
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const what = changes.map(c => `${c.role} ${c.from} → ${c.to}`).join(', ');
    try {
      // Read fresh: the decision was made on the cache's copy; a spec changed since is decided again next round.
      const live = await source
        .client(cluster)
        .get<InferenceService>(KINDS.InferenceService, ns, name);
      if (!live)
        return { at, outcome: 'failed', message: 'the service is gone' };
      if (live.metadata.generation !== isvc.metadata.generation)
        return {
          at,
          outcome: 'failed',
          message: `${what}: the service changed since the decision; decided again next round`,
        };
      const roles = live.spec.roles.map(r => {
        const c = changes.find(x => x.role === r.name);
        return c ? { ...r, replicas: c.to } : { ...r };
      });
      const next: InferenceService = {
        apiVersion: live.apiVersion,
        kind: live.kind,
        metadata: {
          name: live.metadata.name,
          namespace: live.metadata.namespace,
          ...(live.metadata.labels ? { labels: live.metadata.labels } : {}),
          ...(live.metadata.annotations
            ? { annotations: live.metadata.annotations }
            : {}),
        },
        spec: { ...live.spec, roles },
      };
      const validation = validateInferenceService(next);
      if (!validation.valid)
        return {
          at,
          outcome: 'refused',
          message: `${what}: ${validation.errors.map(e => `${e.path}: ${e.message}`).join('; ')}`,
        };
      const change: ChangeRequest = {
        cluster,
        namespace: ns,
        name,
        kind: 'scale',
        manifest: next,
        resourceVersion: live.metadata.resourceVersion,
      };
      const review = await writer.review(
        { kind: 'autoscaler', user: AUTOSCALER_REQUESTER },
        change,
      );
      if (!review.verdict.allowed)
        return {
          at,
          outcome: 'refused',
          message: `${what}: refused by policy: ${review.verdict.denials.map(x => `${x.message} [${x.rule}]`).join('; ')}`,
        };
      if (review.verdict.approvalRequired) {
        const rejectedAt =
          latest?.status === 'rejected' && latest.decidedAt
            ? Date.parse(latest.decidedAt)
            : undefined;
        if (
          rejectedAt !== undefined &&
          now - rejectedAt < this.o.rejectionBackoffMs
        )
          return {
            at,
            outcome: 'refused',
            message: `${what} needs approval (${review.verdict.reasons.join('; ')}), and ${latest!.decidedBy ?? 'an approver'} rejected the autoscaler's request ${latest!.id}; it asks again from ${new Date(rejectedAt + this.o.rejectionBackoffMs).toISOString()}`,
            approvalId: latest!.id,
          };
        const approval = await this.o.hold.holdChange(review, change, {
          requestedBy: AUTOSCALER_REQUESTER,
        });
        return {
          at,
          outcome: 'approval-requested',
          message: `${what} needs approval (${review.verdict.reasons.join('; ')}): filed request ${approval.id}`,
          approvalId: approval.id,
        };
      }
      await writer.write(review, change);
      return { at, outcome: 'scaled', message: what };
    } catch (e) {
      const safe = callerSafeClusterError(e, cluster, this.o.logger);
      return {
        at,
        outcome: safe.name === 'NotAllowedError' ? 'refused' : 'failed',
        message: `${what}: ${safe.message}`,
      };
    }
  }
}
