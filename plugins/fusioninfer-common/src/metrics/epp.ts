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
 * What the Endpoint Picker's /metrics says about its pool: GIE v1.2.x names (`inference_objective_*`,
 * `inference_pool_*`, `inference_extension_*`, `llm_d_inference_scheduler_*`) and the llm-d-router names
 * (`llm_d_epp_*`) that newer EPPs emit side by side with the old ones. The first alias present wins, so dual
 * emission is never counted twice.
 */

import {
  HistogramData,
  histogramDelta,
  histogramFrom,
  percentiles,
  Percentiles,
} from './histogram';
import { counterIncrease } from './modelServer';
import { PromExposition, PromSample } from './prometheus';

/** Raw values read from one scrape of an EPP. @public */
export interface EppSnapshot {
  atMs: number;
  requestsTotal?: number;
  errorsTotal?: number;
  errorsByCode: Record<string, number>;
  duration?: HistogramData;
  runningRequests?: number;
  pool: {
    averageKvCacheUtilization?: number;
    averageQueueSize?: number;
    averageRunningRequests?: number;
    readyEndpoints?: number;
  };
  perEndpointQueue: Record<string, number>;
  prefixIndexerHitRatio?: HistogramData;
  prefixIndexerSize?: number;
  disaggDecisions: Record<string, number>;
  buildRef?: string;
  /** Which naming the EPP uses. */
  naming: 'gie' | 'llm-d' | 'unknown';
}

/** Pool-level routing metrics from the EPP over the window between two scrapes. @public */
export interface EppRoutingMetrics {
  requestRate?: number;
  errorRate?: number;
  errorsByCode: Record<string, number>;
  latency?: Percentiles;
  runningRequests?: number;
  pool: EppSnapshot['pool'];
  perEndpointQueue: Record<string, number>;
  /** Mean matched-prefix ratio of the EPP's approximate prefix index in the window. */
  prefixIndexerHitRatio?: number;
  prefixIndexerSize?: number;
  /** P/D decisions in the window (cumulative on the first scrape) by decision type. */
  disaggDecisions: Record<string, number>;
  buildRef?: string;
  window: 'rate' | 'cumulative';
  windowSeconds?: number;
}

const finite = (list: PromSample[] | undefined) =>
  (list ?? []).filter(s => Number.isFinite(s.value));

function firstSeries(
  exp: PromExposition,
  names: string[],
): PromSample[] | undefined {
  for (const n of names) {
    const l = finite(exp.byName.get(n));
    if (l.length) return l;
  }
  return undefined;
}

const sum = (l: PromSample[] | undefined) =>
  l ? l.reduce((a, s) => a + s.value, 0) : undefined;

/** Samples of the pool `poolName`; an EPP serves one pool, so when no sample names it every sample is taken. */
function ofPool(
  l: PromSample[] | undefined,
  poolName: string | undefined,
): PromSample[] | undefined {
  if (!l || !poolName) return l;
  const mine = l.filter(s => s.labels.name === poolName);
  return mine.length ? mine : l;
}

function byLabel(
  l: PromSample[] | undefined,
  label: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of l ?? []) {
    const k = s.labels[label] ?? '';
    out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/** Reads one EPP scrape; `poolName` picks the pool's series (`{service}-pool` for FusionInfer). @public */
export function readEppMetrics(
  exp: PromExposition,
  atMs: number,
  poolName?: string,
): EppSnapshot {
  const llmd = [...exp.byName.keys()].some(k => k.startsWith('llm_d_epp_'));
  const gie = [...exp.byName.keys()].some(k => k.startsWith('inference_'));
  const pref = (newName: string, oldName: string) => [newName, oldName];
  const gauge = (names: string[]) => {
    const l = ofPool(firstSeries(exp, names), poolName);
    return l?.length ? l[0].value : undefined;
  };
  const errors = firstSeries(
    exp,
    pref(
      'llm_d_epp_request_error_total',
      'inference_objective_request_error_total',
    ),
  );
  const perEndpointNew = ofPool(
    finite(exp.byName.get('llm_d_epp_per_endpoint_queue_size')),
    poolName,
  );
  const perEndpoint = perEndpointNew?.length
    ? byLabel(perEndpointNew, 'model_server_endpoint')
    : byLabel(
        ofPool(
          finite(exp.byName.get('inference_pool_per_pod_queue_size')),
          poolName,
        ),
        'model_server_pod',
      );
  let duration: HistogramData | undefined;
  for (const n of [
    'llm_d_epp_request_duration_seconds',
    'inference_objective_request_duration_seconds',
  ]) {
    duration = histogramFrom(exp, n);
    if (duration) break;
  }
  const hitRatio =
    histogramFrom(exp, 'llm_d_epp_prefix_indexer_hit_ratio') ??
    histogramFrom(exp, 'inference_extension_prefix_indexer_hit_ratio');
  const info =
    exp.byName.get('inference_extension_info')?.[0] ??
    exp.byName.get('llm_d_epp_info')?.[0];
  return {
    atMs,
    requestsTotal: sum(
      firstSeries(
        exp,
        pref('llm_d_epp_request_total', 'inference_objective_request_total'),
      ),
    ),
    errorsTotal: sum(errors),
    errorsByCode: byLabel(errors, 'error_code'),
    duration,
    runningRequests: sum(
      firstSeries(
        exp,
        pref(
          'llm_d_epp_request_running',
          'inference_objective_running_requests',
        ),
      ),
    ),
    pool: {
      averageKvCacheUtilization: gauge(
        pref(
          'llm_d_epp_average_kv_cache_utilization',
          'inference_pool_average_kv_cache_utilization',
        ),
      ),
      averageQueueSize: gauge(
        pref(
          'llm_d_epp_average_queue_size',
          'inference_pool_average_queue_size',
        ),
      ),
      averageRunningRequests: gauge(
        pref(
          'llm_d_epp_average_running_requests',
          'inference_pool_average_running_requests',
        ),
      ),
      readyEndpoints: gauge(
        pref('llm_d_epp_ready_endpoints', 'inference_pool_ready_pods'),
      ),
    },
    perEndpointQueue: perEndpoint,
    prefixIndexerHitRatio: hitRatio,
    prefixIndexerSize: sum(
      firstSeries(
        exp,
        pref(
          'llm_d_epp_prefix_indexer_size',
          'inference_extension_prefix_indexer_size',
        ),
      ),
    ),
    disaggDecisions: byLabel(
      firstSeries(exp, [
        'llm_d_epp_disagg_decision_total',
        'llm_d_inference_scheduler_disagg_decision_total',
        'llm_d_inference_scheduler_pd_decision_total',
      ]),
      'decision_type',
    ),
    buildRef: info?.labels.build_ref || undefined,
    naming: (llmd && 'llm-d') || (gie && 'gie') || 'unknown',
  };
}

/** Pool routing metrics from the current EPP scrape and, when known, the previous one. @public */
export function eppRoutingMetrics(
  cur: EppSnapshot,
  prev?: EppSnapshot,
): EppRoutingMetrics {
  const dt = prev ? (cur.atMs - prev.atMs) / 1000 : 0;
  const windowed = !!prev && dt > 0;
  const r4 = (v: number | undefined) =>
    v === undefined || !Number.isFinite(v)
      ? undefined
      : Math.round(v * 1e4) / 1e4;
  const rate = (c: number | undefined, p: number | undefined) => {
    if (!windowed) return undefined;
    const inc = counterIncrease(c, p);
    return inc === undefined ? undefined : r4(inc / dt);
  };
  const ratioWindow = windowed
    ? histogramDelta(cur.prefixIndexerHitRatio, prev!.prefixIndexerHitRatio)
    : cur.prefixIndexerHitRatio;
  const decisions: Record<string, number> = {};
  for (const [k, v] of Object.entries(cur.disaggDecisions)) {
    decisions[k] = windowed
      ? (counterIncrease(v, prev!.disaggDecisions[k] ?? 0) ?? v)
      : v;
  }
  const errorsByCode: Record<string, number> = {};
  for (const [k, v] of Object.entries(cur.errorsByCode)) {
    errorsByCode[k] = windowed
      ? (counterIncrease(v, prev!.errorsByCode[k] ?? 0) ?? v)
      : v;
  }
  return {
    requestRate: rate(cur.requestsTotal, prev?.requestsTotal),
    // No error series yet means no error so far (the counter appears with the first error).
    errorRate: rate(
      cur.errorsTotal ?? (cur.requestsTotal !== undefined ? 0 : undefined),
      prev?.errorsTotal ?? (prev?.requestsTotal !== undefined ? 0 : undefined),
    ),
    errorsByCode,
    latency: percentiles(
      windowed ? histogramDelta(cur.duration, prev!.duration) : cur.duration,
    ),
    runningRequests: cur.runningRequests,
    pool: cur.pool,
    perEndpointQueue: cur.perEndpointQueue,
    prefixIndexerHitRatio:
      ratioWindow && ratioWindow.count > 0
        ? r4(ratioWindow.sum / ratioWindow.count)
        : undefined,
    prefixIndexerSize: cur.prefixIndexerSize,
    disaggDecisions: decisions,
    buildRef: cur.buildRef,
    window: windowed ? 'rate' : 'cumulative',
    ...(windowed ? { windowSeconds: r4(dt) } : {}),
  };
}
