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
 * Usage of a service as showback measures it: which accelerators its pods hold (by resource and GPU product), which
 * replicas served requests, and how many tokens its model servers counted. The backend observes a service every
 * interval (pods and nodes from its caches, counters from the model servers' /metrics) and turns two consecutive
 * observations into one sample with {@link usageSampleOf}; everything here is arithmetic on what it is given.
 */

import { LABELS } from '../constants';
import {
  acceleratorMatcher,
  DEFAULT_ACCELERATOR_RESOURCES,
  gpuEquivalentPerUnit,
  podAccelerators,
} from '../governance/accelerators';
import type { ModelServerSnapshot } from '../metrics/modelServer';
import { isPodReady } from '../status';
import { Pod } from '../types';

/** An accelerator type: a resource name and, when the node says, its GPU product. @public */
export interface AcceleratorType {
  resource: string;
  product?: string;
}

/** Units of one accelerator type held now. @public */
export interface AcceleratorHolding extends AcceleratorType {
  units: number;
}

/** Cumulative counters of one model server (a replica's leader) at one moment. @public */
export interface ModelServerCounters {
  /** Finished requests (`vllm:request_success_total`, every finish reason). */
  requests?: number;
  /** Requests in the running batch (`vllm:num_requests_running`). */
  running?: number;
  /** `vllm:prompt_tokens_total`. */
  promptTokens?: number;
  /** `vllm:generation_tokens_total`. */
  generationTokens?: number;
}

/** The counters showback reads from one scrape of a model server (vLLM or SGLang names, as the metrics readers map them). @public */
export function modelServerCounters(
  snapshot: ModelServerSnapshot,
): ModelServerCounters {
  return {
    ...(snapshot.requestsTotal !== undefined
      ? { requests: snapshot.requestsTotal }
      : {}),
    ...(snapshot.running !== undefined ? { running: snapshot.running } : {}),
    ...(snapshot.promptTokens !== undefined
      ? { promptTokens: snapshot.promptTokens }
      : {}),
    ...(snapshot.generationTokens !== undefined
      ? { generationTokens: snapshot.generationTokens }
      : {}),
  };
}

/** One replica of a service as observed: what its pods hold and what its leader's model server said. @public */
export interface ReplicaUsageObservation {
  /** The replica's LeaderWorkerSet (one per replica of a role). */
  key: string;
  role?: string;
  componentType?: string;
  /** The leader pod's name (worker index 0): whose model server speaks for the replica. */
  leaderPod?: string;
  accelerators: AcceleratorHolding[];
  /** Its leader pod is Ready (in the pool, able to serve). */
  ready: boolean;
  /** The leader's counters; absent when they could not be read. */
  counters?: ModelServerCounters;
}

/** A service observed at one moment. @public */
export interface ServiceUsageObservation {
  /** Epoch milliseconds. */
  at: number;
  replicas: ReplicaUsageObservation[];
}

/** Accelerator use of one type over a sample (or a sum of samples), in unit-seconds. @public */
export interface AcceleratorUsage extends AcceleratorType {
  /** Units held × seconds. */
  seconds: number;
  /** Of which held by replicas that served nothing (see {@link usageSampleOf}). */
  idleSeconds: number;
  /** Of which held by replicas whose counters could not be read (neither idle nor busy). */
  unmeasuredSeconds: number;
}

/** What a service used over an interval: additive, so samples of an hour add up to the hour's row. @public */
export interface UsageSample {
  /** Epoch milliseconds of the interval's start. */
  start: number;
  /** Wall-clock seconds the interval covers. */
  seconds: number;
  accelerators: AcceleratorUsage[];
  promptTokens: number;
  generationTokens: number;
  requests: number;
}

/** Bounds of observations and samples. @public */
export const USAGE_LIMITS = {
  /** Accelerator types kept per service (a service on more is cut, the rest dropped). */
  acceleratorTypes: 32,
  /** Replicas read per service (the render limits allow no more). */
  replicas: 4096,
} as const;

/** Options of {@link observeReplicas}. @public */
export interface ObserveReplicasOptions {
  /** Node label naming the GPU product (default `nvidia.com/gpu.product`, GPU feature discovery's). */
  productLabel?: string;
  /** Accelerator resource patterns (default: the governance defaults). */
  acceleratorResources?: readonly string[];
  /**
   * The service's own LeaderWorkerSets by name: only pods of these count (a pod somebody labels with the service's
   * name is not billed to it). Absent: every pod given counts.
   */
  leaderWorkerSets?: ReadonlySet<string>;
}

/** The key of an accelerator type (`resource` or `resource|product`). @public */
export function acceleratorTypeKey(t: AcceleratorType): string {
  return t.product ? `${t.resource}|${t.product}` : t.resource;
}

/** The product label applies to resources of its own vendor domain (`nvidia.com/…` for `nvidia.com/gpu.product`). */
function productFor(
  resource: string,
  nodeLabels: Record<string, string> | undefined,
  productLabel: string,
): string | undefined {
  const domain = productLabel.includes('/')
    ? productLabel.slice(0, productLabel.indexOf('/') + 1)
    : '';
  if (domain && !resource.toLowerCase().startsWith(domain.toLowerCase()))
    return undefined;
  const p = nodeLabels?.[productLabel];
  return p ? p : undefined;
}

/**
 * The replicas of a service and what their pods hold, from its pods and the labels of the nodes they run on: pods
 * bound to a node and not terminated (phase neither Succeeded nor Failed), grouped by LeaderWorkerSet; a pod's
 * accelerators are its effective request of every accelerator resource (device attributes such as HAMi's
 * `nvidia.com/gpumem` count nothing), typed by the product label of its node. The leader (worker index 0) decides
 * whether the replica is ready. Counters are not read here: the caller adds them.
 * @public
 */
export function observeReplicas(
  pods: readonly Pod[],
  nodeLabels: (node: string) => Record<string, string> | undefined,
  options: ObserveReplicasOptions = {},
): ReplicaUsageObservation[] {
  const productLabel = options.productLabel ?? 'nvidia.com/gpu.product';
  const match = acceleratorMatcher(
    options.acceleratorResources ?? DEFAULT_ACCELERATOR_RESOURCES,
  );
  const replicas = new Map<
    string,
    ReplicaUsageObservation & { units: Map<string, AcceleratorHolding> }
  >();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    const phase = pod.status?.phase;
    if (!node || phase === 'Succeeded' || phase === 'Failed') continue;
    const labels = pod.metadata?.labels ?? {};
    const lws = labels[LABELS.lwsName];
    if (!lws) continue;
    if (options.leaderWorkerSets && !options.leaderWorkerSets.has(lws))
      continue;
    let r = replicas.get(lws);
    if (!r) {
      if (replicas.size >= USAGE_LIMITS.replicas) continue;
      r = {
        key: lws,
        ...(labels[LABELS.roleName] ? { role: labels[LABELS.roleName] } : {}),
        ...(labels[LABELS.componentType]
          ? { componentType: labels[LABELS.componentType] }
          : {}),
        accelerators: [],
        ready: false,
        units: new Map(),
      };
      replicas.set(lws, r);
    }
    if ((labels[LABELS.lwsWorkerIndex] ?? '0') === '0') {
      r.ready = isPodReady(pod);
      if (pod.metadata?.name) r.leaderPod = pod.metadata.name;
    }
    const { accelerators } = podAccelerators(pod.spec, match);
    const nl = nodeLabels(node);
    for (const [resource, units] of Object.entries(accelerators)) {
      if (!(units > 0) || gpuEquivalentPerUnit(resource) === 0) continue;
      const product = productFor(resource, nl, productLabel);
      const key = acceleratorTypeKey({ resource, product });
      const h = r.units.get(key);
      if (h) h.units += units;
      else if (r.units.size < USAGE_LIMITS.acceleratorTypes)
        r.units.set(key, {
          resource,
          ...(product ? { product } : {}),
          units,
        });
    }
  }
  return [...replicas.values()]
    .map(({ units, ...r }) => ({ ...r, accelerators: [...units.values()] }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** What a service holds now, summed over its replicas by accelerator type. @public */
export function holdingsOf(
  replicas: readonly ReplicaUsageObservation[],
): AcceleratorHolding[] {
  const out = new Map<string, AcceleratorHolding>();
  for (const r of replicas)
    for (const a of r.accelerators) {
      const key = acceleratorTypeKey(a);
      const h = out.get(key);
      if (h) h.units += a.units;
      else out.set(key, { ...a });
    }
  return [...out.values()].sort((a, b) =>
    acceleratorTypeKey(a).localeCompare(acceleratorTypeKey(b)),
  );
}

/** GPU equivalents of holdings (a MIG `3g` slice is 3/7). @public */
export function gpuEquivalentsOf(holdings: readonly AcceleratorHolding[]) {
  return holdings.reduce(
    (sum, h) => sum + h.units * gpuEquivalentPerUnit(h.resource),
    0,
  );
}

/** A counter's increase between two reads; a lower value means the server restarted (counted from 0). */
function increase(
  before: number | undefined,
  after: number | undefined,
): number | undefined {
  if (after === undefined || before === undefined) return undefined;
  if (!Number.isFinite(after) || !Number.isFinite(before)) return undefined;
  return after >= before ? after - before : Math.max(0, after);
}

/** How a replica spent an interval. @public */
export type ReplicaActivity = 'busy' | 'idle' | 'unmeasured';

/**
 * Whether a replica served anything between two observations. **Idle**: its leader is not Ready (it holds
 * accelerators and is not in the pool), or its model server finished no request in the interval (the increase of
 * `vllm:request_success_total`, all finish reasons, is 0) and had no request running at either end
 * (`vllm:num_requests_running` 0 at both reads). **Busy**: it finished a request or had one running at either end.
 * **Unmeasured**: a ready replica whose counters could not be read at both ends (new since the last observation, its
 * scrape failed, or its server exports no request counter).
 * @public
 */
export function replicaActivity(
  before: ReplicaUsageObservation | undefined,
  after: ReplicaUsageObservation,
): ReplicaActivity {
  if (!after.ready) return 'idle';
  const finished = increase(
    before?.counters?.requests,
    after.counters?.requests,
  );
  if (finished === undefined) return 'unmeasured';
  const running =
    (before?.counters?.running ?? 0) + (after.counters?.running ?? 0);
  return finished > 0 || running > 0 ? 'busy' : 'idle';
}

/** Options of {@link usageSampleOf}. @public */
export interface UsageSampleOptions {
  /**
   * The longest interval one sample covers, in seconds: after a gap (the backend down, leadership moving) only this
   * much is billed, at what the later observation holds. Counters still count every token of the gap.
   */
  maxSeconds: number;
}

/**
 * One sample from two consecutive observations of a service (undefined when no time passed). The interval is billed
 * at what the later observation holds (pods bound at its end); each replica's unit-seconds are split into idle,
 * unmeasured and the rest by {@link replicaActivity}. Tokens and requests are the counters' increases (a restart
 * counts from 0) over replicas seen at both ends; in a prefill/decode service prompt tokens are counted on the
 * prefillers and generation tokens and finished requests on the decoders (both count each request; summing every
 * replica would count it twice), elsewhere on every replica.
 * @public
 */
export function usageSampleOf(
  before: ServiceUsageObservation,
  after: ServiceUsageObservation,
  options: UsageSampleOptions,
): UsageSample | undefined {
  const elapsed = (after.at - before.at) / 1000;
  if (!(elapsed > 0)) return undefined;
  const seconds = Math.min(elapsed, Math.max(0, options.maxSeconds));
  const previous = new Map(before.replicas.map(r => [r.key, r]));
  const acc = new Map<string, AcceleratorUsage>();
  const hasPrefill = after.replicas.some(r => r.componentType === 'prefiller');
  const hasDecode = after.replicas.some(r => r.componentType === 'decoder');
  let promptTokens = 0;
  let generationTokens = 0;
  let requests = 0;
  for (const r of after.replicas) {
    const prev = previous.get(r.key);
    const activity = replicaActivity(prev, r);
    for (const a of r.accelerators) {
      const key = acceleratorTypeKey(a);
      let u = acc.get(key);
      if (!u) {
        if (acc.size >= USAGE_LIMITS.acceleratorTypes) continue;
        u = {
          resource: a.resource,
          ...(a.product ? { product: a.product } : {}),
          seconds: 0,
          idleSeconds: 0,
          unmeasuredSeconds: 0,
        };
        acc.set(key, u);
      }
      const s = a.units * seconds;
      u.seconds += s;
      if (activity === 'idle') u.idleSeconds += s;
      if (activity === 'unmeasured') u.unmeasuredSeconds += s;
    }
    if (!prev) continue;
    const c = r.componentType;
    if (!hasPrefill || c === 'prefiller')
      promptTokens +=
        increase(prev.counters?.promptTokens, r.counters?.promptTokens) ?? 0;
    if (!hasDecode || c === 'decoder') {
      generationTokens +=
        increase(
          prev.counters?.generationTokens,
          r.counters?.generationTokens,
        ) ?? 0;
      requests += increase(prev.counters?.requests, r.counters?.requests) ?? 0;
    }
  }
  return {
    start: after.at - seconds * 1000,
    seconds,
    accelerators: [...acc.values()].sort((a, b) =>
      acceleratorTypeKey(a).localeCompare(acceleratorTypeKey(b)),
    ),
    promptTokens,
    generationTokens,
    requests,
  };
}

/**
 * The sum of samples (an hour's row, a window): seconds, unit-seconds per accelerator type, tokens and requests
 * added; `start` is the earliest. Undefined for no samples.
 * @public
 */
export function addUsage(
  samples: readonly UsageSample[],
): UsageSample | undefined {
  if (!samples.length) return undefined;
  const acc = new Map<string, AcceleratorUsage>();
  let start = Infinity;
  let seconds = 0;
  let promptTokens = 0;
  let generationTokens = 0;
  let requests = 0;
  for (const s of samples) {
    start = Math.min(start, s.start);
    seconds += s.seconds;
    promptTokens += s.promptTokens;
    generationTokens += s.generationTokens;
    requests += s.requests;
    for (const a of s.accelerators) {
      const key = acceleratorTypeKey(a);
      const u = acc.get(key);
      if (u) {
        u.seconds += a.seconds;
        u.idleSeconds += a.idleSeconds;
        u.unmeasuredSeconds += a.unmeasuredSeconds;
      } else if (acc.size < USAGE_LIMITS.acceleratorTypes)
        acc.set(key, { ...a });
    }
  }
  return {
    start,
    seconds,
    accelerators: [...acc.values()].sort((a, b) =>
      acceleratorTypeKey(a).localeCompare(acceleratorTypeKey(b)),
    ),
    promptTokens,
    generationTokens,
    requests,
  };
}
