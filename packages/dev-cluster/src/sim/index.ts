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

/*
 * Simulated controllers of the development cluster, driven by the API's change feed, one file each:
 * - lws.ts: LeaderWorkerSet (pods named and labelled as the LWS controller does, a headless Service, status);
 * - volcano.ts: Volcano gang scheduling over the Node inventory, with the real PodGroup conditions and messages;
 * - scheduler.ts: the default scheduler; kubelet.ts: phases, pod IPs, readiness, crash loops, events and logs;
 * - deployments.ts: the Deployment controller (pods with pod-template-hash, status, conditions);
 * - jobs.ts: the Job controller (pods until `completions` succeeded, Complete condition);
 * - modelServers.ts: model servers on LWS leader pods (OpenAI API + vLLM /metrics);
 * - behaviours.ts: per-image model-server behaviours (slow start, crash, OOM, slower, errors, not Ready after a while);
 * - epp.ts: EPP pods (/metrics, 401 unless auth is off);
 * - gateway.ts: a Gateway API implementation (class fusioninfer-dev): Gateway Services and statuses, HTTPRoute
 *   status, and the data plane behind the Gateway's Service proxy (weights, InferencePool endpoints).
 */

import { KubeApi } from '../api';
import { PodHttpResolver, PodLogSource } from '../http';
import { ServiceHttpResolver } from '../http/types';
import { ModelServerBehaviours } from './behaviours';
import { createContext, EventRecorder } from './context';
import { reconcileDeployments } from './deployments';
import { EngineOptions, SimEngine } from './engine';
import { eppResolver } from './epp';
import { gatewayServiceResolver, reconcileGateways } from './gateway';
import { reconcileJobs } from './jobs';
import { kubelet } from './kubelet';
import { reconcileLws } from './lws';
import { modelServerResolver } from './modelServers';
import { scheduleDefault } from './scheduler';
import { scheduleGangs } from './volcano';

export interface SimulationOptions {
  api: KubeApi;
  registerPodHttpHandler?: (r: PodHttpResolver) => void;
  /** Where Services served by a simulated data plane (the Gateway's) are registered. */
  registerServiceHttpHandler?: (r: ServiceHttpResolver) => void;
  /** Where container logs are served from (`pods/log`). */
  registerPodLogSource?: (s: PodLogSource) => void;
  /** Records an Event; `component` is the reporting controller (default-scheduler, kubelet, volcano, ...). */
  recordEvent?: EventRecorder;
  /** Time from a pod's start to Ready (ms). Default 3000. */
  podStartupDelayMs?: number;
  /** Engine defaults for every model server. */
  engine?: Partial<EngineOptions>;
  /**
   * Model-server behaviours by image pattern (start slowly, crash, OOM, serve slower or with errors, stop being
   * Ready), over the conventional tag suffixes `-slowstart`, `-crash`, `-oom`, `-slow` and `-errors`.
   */
  behaviours?: ModelServerBehaviours;
}

export interface Simulation {
  stop(): Promise<void>;
  /** The engine of a model-server pod (by namespace/name), for tests and the load generator. */
  engineFor(namespace: string, pod: string): SimEngine | undefined;
  /** Runs one reconcile pass now (tests). */
  settle(): Promise<void>;
}

export function startSimulation(options: SimulationOptions): Simulation {
  const ctx = createContext(options);
  const { api } = ctx;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;

  options.registerPodHttpHandler?.(modelServerResolver(ctx));
  options.registerPodHttpHandler?.(eppResolver(ctx));
  options.registerServiceHttpHandler?.(gatewayServiceResolver(ctx));
  options.registerPodLogSource?.(ctx.logs.source);

  // Each controller runs in its own turn of the event loop, so API requests are served in between.
  const yieldToIo = () => new Promise<void>(r => setImmediate(r));
  async function pass() {
    const steps = [
      () => reconcileLws(ctx),
      () => reconcileDeployments(ctx),
      () => reconcileJobs(ctx),
      () => scheduleDefault(ctx, scheduleGangs(ctx, api.scan(ctx.podsT))),
      () => kubelet(ctx),
      () => reconcileLws(ctx),
      () => reconcileDeployments(ctx),
      () => reconcileGateways(ctx),
    ];
    let more = false;
    for (const step of steps) {
      if (stopped) return;
      ctx.resetBudget();
      step();
      if (ctx.resetBudget()) more = true;
      await yieldToIo();
    }
    if (more) again = true;
  }
  const trigger = () => {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = pass().finally(() => {
        inFlight = undefined;
        if (again) {
          again = false;
          trigger();
        }
      });
    }, 5);
  };
  const unsubscribe = api.subscribe(e => {
    if (e.resource.plural === 'events') return;
    if (e.type === 'DELETED' && e.resource.plural === 'pods') {
      ctx.engines.delete(e.object.metadata.uid);
      ctx.startedAt.delete(e.object.metadata.uid);
      ctx.logs.remove(e.object.metadata.uid);
    }
    trigger();
  });
  // Time-driven transitions (readiness after the start-up delay, crash-loop restarts), as often as the shortest
  // configured delay needs.
  const delays = [
    ctx.startupDelay,
    ...Object.values(ctx.behaviours).flatMap(b => [
      b.startupDelayMs ?? ctx.startupDelay,
      b.notReadyAfterMs ?? ctx.startupDelay,
    ]),
  ];
  const ticker = setInterval(
    trigger,
    Math.max(50, Math.min(1000, Math.floor(Math.min(...delays) / 3))),
  );
  trigger();

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      clearInterval(ticker);
      if (timer) clearTimeout(timer);
      await inFlight;
    },
    engineFor(namespace, pod) {
      const p = ctx.safe(() => api.get(ctx.podsT, namespace, pod));
      return p ? ctx.engines.get(p.metadata.uid) : undefined;
    },
    async settle() {
      await inFlight;
      await pass();
    },
  };
}

export type { EngineOptions } from './engine';
export type { ModelServerBehaviour, ModelServerBehaviours } from './behaviours';
export { SimEngine } from './engine';
