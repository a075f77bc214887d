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
  CANARY_ANNOTATION,
  CANARY_STATUS_ANNOTATION,
  CanarySample,
  CanaryStatus,
  InferenceService,
  readCanaryStatus,
  RoutingEndpoint,
  RoutingMetricsResponse,
  serializeCanaryStatus,
  tickCanary,
} from '@fusioninfer/plugin-fusioninfer-common';
import { KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { MetricsCollector } from '../metrics/MetricsCollector';
import { CanaryView } from '../reconciler/rollout';
import { ServiceSource } from '../views/ServiceSource';
import { Rounds } from '../lib/rounds';

/** Options of {@link CanaryController}. */
export interface CanaryControllerOptions {
  logger: LoggerService;
  source: ServiceSource;
  metrics: MetricsCollector;
  /** What the cluster's reconciler last saw of a service's canary. */
  view(
    cluster: string,
    namespace: string,
    name: string,
  ): CanaryView | undefined;
  /** Whether this instance may write in a cluster now (its reconciler leads it). */
  isLeader(cluster: string): boolean;
  /** Between evaluations: the metrics interval (default 15 s). */
  intervalMs: number;
  now?: () => number;
}

/**
 * The canary's numbers in one metrics window: the worst TTFT p95 of a canary and of a stable endpoint, the canary's
 * 5xx share (weighted by requests), its mean queue per replica and the requests it answered.
 */
export function canarySample(m: RoutingMetricsResponse): CanarySample {
  const ok = (e: RoutingEndpoint) => e.state === 'ok' && !!e.metrics;
  const canary = m.endpoints.filter(e => e.track === 'canary' && ok(e));
  const stable = m.endpoints.filter(e => e.track === 'stable' && ok(e));
  const worst = (list: RoutingEndpoint[]) => {
    const v = list
      .map(e => e.metrics!.ttft?.p95)
      .filter((x): x is number => x !== undefined && Number.isFinite(x));
    return v.length ? Math.max(...v) : undefined;
  };
  let requests = 0;
  let errors = 0;
  let waiting = 0;
  for (const e of canary) {
    const r = e.metrics!.apiRequests ?? 0;
    requests += r;
    errors += (e.metrics!.errorRate ?? 0) * r;
    waiting += e.metrics!.waiting ?? 0;
  }
  const s: CanarySample = { requests };
  const ttft = worst(canary);
  const stableTtft = worst(stable);
  if (ttft !== undefined) s.ttftP95 = ttft;
  if (stableTtft !== undefined) s.stableTtftP95 = stableTtft;
  if (requests > 0)
    s.errorRate = Math.round((errors / requests) * 10000) / 10000;
  if (canary.length) s.queuePerReplica = waiting / canary.length;
  return s;
}

/**
 * The canary controller: every `intervalMs`, in each cluster this instance leads, for every InferenceService with the
 * canary annotation, takes what the reconciler saw of its canary and a fresh metrics window, runs common's
 * `tickCanary` and, when the state changes, writes it to the annotation `fusioninfer.io/canary-status` — a JSON merge
 * patch of that one annotation, onto the version read (a concurrent command wins; the next round sees it). The
 * reconciler renders the weights from that annotation; this controller never writes a child.
 */
export class CanaryController {
  private readonly rounds: Rounds;
  /** The metrics window each service was last judged on (one check per window). */
  private readonly judged = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly o: CanaryControllerOptions) {
    this.now = o.now ?? Date.now;
    this.rounds = new Rounds({
      intervalMs: o.intervalMs,
      round: () => this.tick(),
      onError: e => o.logger.warn(`canary round failed: ${e.message}`),
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
      if (!this.o.isLeader(cluster)) continue;
      let services: InferenceService[];
      try {
        services = await this.o.source.listServices(cluster);
      } catch (e) {
        this.o.logger.warn(
          `canary: cannot list the services of cluster ${cluster}: ${(e as Error).message}`,
        );
        continue;
      }
      for (const s of services.filter(
        x => x.metadata.annotations?.[CANARY_ANNOTATION] !== undefined,
      ))
        await this.evaluate(cluster, s).catch(e =>
          this.o.logger.warn(
            `canary: ${cluster}/${s.metadata.namespace}/${s.metadata.name}: ${(e as Error).message}`,
          ),
        );
    }
  }

  /** Evaluates one service now; returns the state written, or undefined when nothing changed. */
  async evaluate(
    cluster: string,
    isvc: InferenceService,
  ): Promise<CanaryStatus | undefined> {
    const ns = isvc.metadata.namespace!;
    const name = isvc.metadata.name!;
    const key = `${cluster}/${ns}/${name}`;
    const view = this.o.view(cluster, ns, name);
    if (!view) return undefined;
    // The reconciler's view may be one write behind: the state on the service is the truth.
    const status =
      view.status && view.status.revision === view.revision
        ? view.status
        : undefined;
    const current = readCanaryStatus(isvc) ?? status;
    // A canary starts only where the reconciler would run it (room for its replicas, stable pods tracked).
    if ((!current || current.revision !== view.revision) && !view.mode.active)
      return undefined;
    let sample: CanarySample | undefined;
    if (
      current &&
      current.revision === view.revision &&
      ['Progressing', 'Paused', 'AwaitingPromotion'].includes(current.phase)
    ) {
      const m = await this.o.metrics
        .get(this.o.source.client(cluster), isvc)
        .catch(e => {
          this.o.logger.warn(
            `canary: metrics of ${key} unavailable: ${(e as Error).message}`,
          );
          return undefined;
        });
      if (m && m.collectedAt !== this.judged.get(key)) {
        this.judged.set(key, m.collectedAt);
        sample = canarySample(m);
      }
    }
    const next = tickCanary({
      policy: view.policy,
      ...(current ? { status: current } : {}),
      revision: view.revision,
      seen: view.seen,
      canaryReady: view.canaryReady,
      stablePromoted: view.stablePromoted,
      ...(sample ? { sample } : {}),
      ...(view.gatewayProblem ? { gatewayProblem: view.gatewayProblem } : {}),
      now: this.now(),
    });
    if (!next || next === current) return undefined;
    if (!this.o.isLeader(cluster)) return undefined;
    await this.o.source
      .client(cluster)
      .mergePatch(KINDS.InferenceService, ns, name, {
        metadata: {
          resourceVersion: isvc.metadata.resourceVersion,
          annotations: {
            [CANARY_STATUS_ANNOTATION]: serializeCanaryStatus(next),
          },
        },
      });
    if (next.phase !== current?.phase || next.weight !== current?.weight)
      this.o.logger.info(
        `canary ${key}: ${next.phase} at ${next.weight} %${next.reason ? ` (${next.reason})` : ''}`,
      );
    return next;
  }
}
