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
 * What a model server's /metrics says about one endpoint, with the metric-name aliases of vLLM (current and
 * deprecated names), llm-d-inference-sim (old and new counter names) and SGLang. With data parallelism there is one
 * series per engine: queue and running counts are summed, KV-cache use averaged (as vLLM's own logger does).
 */

import {
  HistogramData,
  histogramDelta,
  histogramFrom,
  percentiles,
  Percentiles,
} from './histogram';
import { PromExposition, PromSample } from './prometheus';

/** LoRA adapters of an endpoint (from `vllm:lora_requests_info`). @public */
export interface LoraState {
  maxLora?: number;
  running: string[];
  waiting: string[];
}

/** Raw values read from one scrape of a model server. Counters are cumulative. @public */
export interface ModelServerSnapshot {
  atMs: number;
  engine: 'vllm' | 'sglang' | 'unknown';
  models: string[];
  running?: number;
  waiting?: number;
  kvCacheUsage?: number;
  /** Which metric gave the KV-cache use (`vllm:kv_cache_usage_perc`, or a deprecated alias). */
  kvCacheMetric?: string;
  prefixCacheHits?: number;
  prefixCacheQueries?: number;
  requestsTotal?: number;
  promptTokens?: number;
  generationTokens?: number;
  preemptions?: number;
  ttft?: HistogramData;
  e2e?: HistogramData;
  itl?: HistogramData;
  lora?: LoraState;
  cacheConfig?: { blockSize?: number; numGpuBlocks?: number };
  /** OpenAI API requests answered (`http_requests_total` of handlers under /v1/), and of those 5xx. */
  apiRequests?: number;
  apiServerErrors?: number;
}

/** Rates and gauges of one endpoint over the window between two scrapes. @public */
export interface EndpointRoutingMetrics {
  running?: number;
  waiting?: number;
  kvCacheUsage?: number;
  kvCacheMetric?: string;
  /** Prefix-cache hit rate (hit tokens / queried tokens) in the window; cumulative on the first scrape. */
  prefixCacheHitRate?: number;
  /** Finished requests per second (needs two scrapes). */
  requestRate?: number;
  promptTokensPerSecond?: number;
  generationTokensPerSecond?: number;
  preemptionsPerSecond?: number;
  ttft?: Percentiles;
  e2e?: Percentiles;
  itl?: Percentiles;
  lora?: LoraState;
  cacheConfig?: { blockSize?: number; numGpuBlocks?: number };
  /** Share of the OpenAI API requests answered 5xx in the window (since the server started on the first scrape). */
  errorRate?: number;
  /** OpenAI API requests answered in the window (since the server started on the first scrape). */
  apiRequests?: number;
  /** `rate` when computed over two scrapes `windowSeconds` apart, `cumulative` since the server started. */
  window: 'rate' | 'cumulative';
  windowSeconds?: number;
}

const ALIASES = {
  running: ['vllm:num_requests_running', 'sglang:num_running_reqs'],
  waiting: ['vllm:num_requests_waiting', 'sglang:num_queue_reqs'],
  kv: [
    'vllm:kv_cache_usage_perc',
    'vllm:gpu_cache_usage_perc',
    'sglang:token_usage',
  ],
  prefixHits: [
    'vllm:prefix_cache_hits_total',
    'vllm:gpu_prefix_cache_hits_total',
    'vllm:prefix_cache_hits',
  ],
  prefixQueries: [
    'vllm:prefix_cache_queries_total',
    'vllm:gpu_prefix_cache_queries_total',
    'vllm:prefix_cache_queries',
  ],
  requests: ['vllm:request_success_total', 'sglang:num_requests_total'],
  promptTokens: ['vllm:prompt_tokens_total', 'sglang:prompt_tokens_total'],
  generationTokens: [
    'vllm:generation_tokens_total',
    'sglang:generation_tokens_total',
  ],
  preemptions: ['vllm:num_preemptions_total'],
  ttft: [
    'vllm:time_to_first_token_seconds',
    'sglang:time_to_first_token_seconds',
  ],
  e2e: [
    'vllm:e2e_request_latency_seconds',
    'sglang:e2e_request_latency_seconds',
  ],
  itl: [
    'vllm:inter_token_latency_seconds',
    'vllm:time_per_output_token_seconds',
    'sglang:inter_token_latency_seconds',
  ],
} as const;

/** The samples of the first alias present in the exposition (never a sum over aliases: servers dual-emit). */
function first(
  exp: PromExposition,
  names: readonly string[],
): { name: string; samples: PromSample[] } | undefined {
  for (const name of names) {
    const samples = exp.byName.get(name)?.filter(s => Number.isFinite(s.value));
    if (samples?.length) return { name, samples };
  }
  return undefined;
}

function sumOf(
  exp: PromExposition,
  names: readonly string[],
): number | undefined {
  const f = first(exp, names);
  return f ? f.samples.reduce((a, s) => a + s.value, 0) : undefined;
}

function firstHistogram(
  exp: PromExposition,
  names: readonly string[],
): HistogramData | undefined {
  for (const n of names) {
    const h = histogramFrom(exp, n);
    if (h) return h;
  }
  return undefined;
}

const splitList = (s: string | undefined) =>
  s
    ? s
        .split(',')
        .map(x => x.trim())
        .filter(Boolean)
    : [];

/**
 * The LoRA state as the EPP reads it: among the `vllm:lora_requests_info` series, the one with the largest value
 * (a Unix timestamp) whose adapter labels are not both empty; when every series is empty, the newest one.
 * @public
 */
export function loraStateFrom(exp: PromExposition): LoraState | undefined {
  const series = exp.byName.get('vllm:lora_requests_info');
  if (!series?.length) return undefined;
  const newest = (list: PromSample[]) =>
    list.reduce((a, b) => (b.value > a.value ? b : a));
  const nonEmpty = series.filter(
    s => s.labels.running_lora_adapters || s.labels.waiting_lora_adapters,
  );
  const chosen = nonEmpty.length ? newest(nonEmpty) : newest(series);
  const max = Number.parseInt(chosen.labels.max_lora ?? '', 10);
  return {
    ...(Number.isFinite(max) ? { maxLora: max } : {}),
    running: splitList(chosen.labels.running_lora_adapters),
    waiting: splitList(chosen.labels.waiting_lora_adapters),
  };
}

/** Reads one model-server scrape. @public */
export function readModelServerMetrics(
  exp: PromExposition,
  atMs: number,
): ModelServerSnapshot {
  const hasVllm = [...exp.byName.keys()].some(k => k.startsWith('vllm:'));
  const hasSglang =
    !hasVllm && [...exp.byName.keys()].some(k => k.startsWith('sglang:'));
  const models = new Set<string>();
  for (const [k, list] of exp.byName) {
    if (!k.startsWith('vllm:') && !k.startsWith('sglang:')) continue;
    for (const s of list)
      if (s.labels.model_name) models.add(s.labels.model_name);
  }
  const kv = first(exp, ALIASES.kv);
  const cacheInfo =
    exp.byName.get('vllm:cache_config_info')?.[0] ??
    exp.byName.get('sglang:cache_config_info')?.[0];
  const intLabel = (v: string | undefined) => {
    const n = Number.parseInt(v ?? '', 10);
    return Number.isFinite(n) ? n : undefined;
  };
  const snap: ModelServerSnapshot = {
    atMs,
    engine: (hasVllm && 'vllm') || (hasSglang && 'sglang') || 'unknown',
    models: [...models].sort(),
    running: sumOf(exp, ALIASES.running),
    waiting: sumOf(exp, ALIASES.waiting),
    kvCacheUsage: kv
      ? kv.samples.reduce((a, s) => a + s.value, 0) / kv.samples.length
      : undefined,
    kvCacheMetric: kv?.name,
    prefixCacheHits: sumOf(exp, ALIASES.prefixHits),
    prefixCacheQueries: sumOf(exp, ALIASES.prefixQueries),
    requestsTotal: sumOf(exp, ALIASES.requests),
    promptTokens: sumOf(exp, ALIASES.promptTokens),
    generationTokens: sumOf(exp, ALIASES.generationTokens),
    preemptions: sumOf(exp, ALIASES.preemptions),
    ttft: firstHistogram(exp, ALIASES.ttft),
    e2e: firstHistogram(exp, ALIASES.e2e),
    itl: firstHistogram(exp, ALIASES.itl),
    lora: loraStateFrom(exp),
    cacheConfig: cacheInfo
      ? {
          blockSize: intLabel(
            cacheInfo.labels.block_size ?? cacheInfo.labels.page_size,
          ),
          numGpuBlocks: intLabel(
            cacheInfo.labels.num_gpu_blocks ?? cacheInfo.labels.num_pages,
          ),
        }
      : undefined,
  };
  // prometheus-fastapi-instrumentator's counter (vLLM's API server): status is a class ("5xx") or a code.
  const http = exp.byName.get('http_requests_total');
  if (http) {
    let total = 0;
    let errors = 0;
    for (const x of http) {
      if (!String(x.labels.handler ?? '').startsWith('/v1/')) continue;
      if (!Number.isFinite(x.value)) continue;
      total += x.value;
      if (String(x.labels.status ?? '').startsWith('5')) errors += x.value;
    }
    snap.apiRequests = total;
    snap.apiServerErrors = errors;
  }
  if (snap.requestsTotal === undefined && snap.e2e)
    snap.requestsTotal = snap.e2e.count;
  return snap;
}

/** The increase of a counter between two scrapes, treating a decrease as a reset (as Prometheus does). @public */
export function counterIncrease(
  cur: number | undefined,
  prev: number | undefined,
): number | undefined {
  if (cur === undefined) return undefined;
  if (prev === undefined) return undefined;
  return cur >= prev ? cur - prev : cur;
}

const round = (v: number | undefined, digits = 4) =>
  v === undefined || !Number.isFinite(v)
    ? undefined
    : Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Routing metrics of one endpoint from the current scrape and, when known, the previous one: gauges as read, counter
 * rates over the window, hit rate and latency percentiles of the window (cumulative without a previous scrape).
 * @public
 */
export function endpointRoutingMetrics(
  cur: ModelServerSnapshot,
  prev?: ModelServerSnapshot,
): EndpointRoutingMetrics {
  const dt = prev ? (cur.atMs - prev.atMs) / 1000 : 0;
  const windowed = !!prev && dt > 0;
  const rate = (c: number | undefined, p: number | undefined) => {
    if (!windowed) return undefined;
    const inc = counterIncrease(c, p);
    return inc === undefined ? undefined : round(inc / dt);
  };
  let hitRate: number | undefined;
  if (windowed) {
    const hits = counterIncrease(cur.prefixCacheHits, prev!.prefixCacheHits);
    const queries = counterIncrease(
      cur.prefixCacheQueries,
      prev!.prefixCacheQueries,
    );
    if (hits !== undefined && queries !== undefined && queries > 0)
      hitRate = round(Math.min(1, hits / queries));
  }
  if (
    hitRate === undefined &&
    !windowed &&
    cur.prefixCacheHits !== undefined &&
    cur.prefixCacheQueries
  ) {
    hitRate = round(Math.min(1, cur.prefixCacheHits / cur.prefixCacheQueries));
  }
  const hist = (c: HistogramData | undefined, p: HistogramData | undefined) =>
    percentiles(windowed ? histogramDelta(c, p) : c);
  return {
    running: cur.running,
    waiting: cur.waiting,
    kvCacheUsage: round(cur.kvCacheUsage),
    kvCacheMetric: cur.kvCacheMetric,
    prefixCacheHitRate: hitRate,
    requestRate: rate(cur.requestsTotal, prev?.requestsTotal),
    promptTokensPerSecond: rate(cur.promptTokens, prev?.promptTokens),
    generationTokensPerSecond: rate(
      cur.generationTokens,
      prev?.generationTokens,
    ),
    preemptionsPerSecond: rate(cur.preemptions, prev?.preemptions),
    ttft: hist(cur.ttft, prev?.ttft),
    e2e: hist(cur.e2e, prev?.e2e),
    itl: hist(cur.itl, prev?.itl),
    lora: cur.lora,
    cacheConfig: cur.cacheConfig,
    ...apiWindow(windowed, cur, prev),
    window: windowed ? 'rate' : 'cumulative',
    ...(windowed ? { windowSeconds: round(dt, 3) } : {}),
  };
}

/** Requests and 5xx share of the OpenAI API in the window between two scrapes. */
function apiWindow(
  windowed: boolean,
  cur: ModelServerSnapshot,
  prev: ModelServerSnapshot | undefined,
): { apiRequests?: number; errorRate?: number } {
  // Like the latency percentiles: over the window when there is one, else since the server started.
  const requests = windowed
    ? counterIncrease(cur.apiRequests, prev?.apiRequests)
    : cur.apiRequests;
  const errors = windowed
    ? counterIncrease(cur.apiServerErrors, prev?.apiServerErrors)
    : cur.apiServerErrors;
  if (requests === undefined) return {};
  return {
    apiRequests: requests,
    ...(requests > 0 && errors !== undefined
      ? { errorRate: round(Math.min(1, errors / requests)) }
      : {}),
  };
}
