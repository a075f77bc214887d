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
import { Config } from '@backstage/config';
import {
  EppMetricsState,
  EppRoutingMetrics,
  EndpointRoutingMetrics,
  LoraState,
  RoutingEndpoint,
  RoutingHistoryPoint,
} from '@fusioninfer/plugin-fusioninfer-common';

/** Settings of `fusioninfer.prometheus`. */
export interface PrometheusSourceOptions {
  url: string;
  bearerToken?: string;
  headers?: Record<string, string>;
  /** Range of rate() and increase() (default 5m). */
  rateWindow?: string;
  /** History window in minutes (default 30) and resolution in seconds (default 30). */
  historyMinutes?: number;
  historyStepSeconds?: number;
  timeoutMs?: number;
  /** Bytes read at most per Prometheus answer (default 16 MiB); a larger answer is an error. */
  maxResponseBytes?: number;
  fetchImpl?: typeof fetch;
  now?: () => number;
  /** Where the causes of failed queries go (their text carries the Prometheus URL; callers get a generic message). */
  logger?: LoggerService;
}

/** An error whose message is written for API callers (no URL, no socket or TLS detail). */
class PrometheusError extends Error {}

/** Reads a fetch body up to `max` bytes; undefined when it is longer (the rest is not read). */
export async function readBounded(
  res: Response,
  max: number,
): Promise<string | undefined> {
  const declared = Number(res.headers?.get?.('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return res.text();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads `fusioninfer.prometheus`; undefined when no URL is configured. */
export function readPrometheusOptions(
  config: Config,
): PrometheusSourceOptions | undefined {
  const c = config.getOptionalConfig('fusioninfer.prometheus');
  const url = c?.getOptionalString('url');
  if (!c || !url) return undefined;
  const headers = c.getOptionalConfig('headers');
  return {
    url,
    bearerToken: c.getOptionalString('bearerToken'),
    headers: headers
      ? Object.fromEntries(headers.keys().map(k => [k, headers.getString(k)]))
      : undefined,
    rateWindow: c.getOptionalString('rateWindow'),
    historyMinutes: c.getOptionalNumber('historyMinutes'),
    historyStepSeconds: c.getOptionalNumber('historyStepSeconds'),
  };
}

interface VectorSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

/** Input of one Prometheus collection. */
export interface PrometheusCollectInput {
  namespace: string;
  leaders: RoutingEndpoint[];
  eppPods: string[];
  hasRouter: boolean;
  poolName: string;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const quote = (s: string) => JSON.stringify(s);
const num = (v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? Math.round(n * 1e6) / 1e6 : undefined;
};

/**
 * Routing metrics from Prometheus (`/api/v1/query` and `/api/v1/query_range`). Series are matched by the standard
 * `namespace` and `pod` target labels of a PodMonitor/ServiceMonitor; the pod names come from Kubernetes, so the
 * queries never depend on how pods are named. Current and deprecated metric names are joined with `or`.
 */
export class PrometheusSource {
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: PrometheusSourceOptions) {
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.now = options.now ?? Date.now;
  }

  private async api(
    path: string,
    params: Record<string, string>,
  ): Promise<VectorSample[]> {
    const url = new URL(
      path,
      this.options.url.endsWith('/')
        ? this.options.url
        : `${this.options.url}/`,
    );
    const body = new URLSearchParams(params);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...(this.options.headers ?? {}),
    };
    if (this.options.bearerToken)
      headers.authorization = `Bearer ${this.options.bearerToken}`;
    const max = this.options.maxResponseBytes ?? 16 * 1024 * 1024;
    let res: Response;
    let text: string | undefined;
    try {
      res = await this.fetchImpl(url.toString(), {
        method: 'POST',
        headers,
        body: body.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      text = await readBounded(res, max);
    } catch (e) {
      // The cause names the Prometheus URL and socket or TLS details: logged, never answered.
      this.options.logger?.warn(
        `Prometheus query ${path} failed: ${(e as Error)?.message}${(e as { cause?: Error })?.cause ? ` (${(e as { cause?: Error }).cause!.message})` : ''}`,
      );
      throw new PrometheusError(
        (e as Error)?.name === 'TimeoutError' ||
          (e as Error)?.name === 'AbortError'
          ? 'Prometheus did not answer in time'
          : 'Prometheus could not be reached (details in the backend log)',
      );
    }
    if (text === undefined)
      throw new PrometheusError(
        `Prometheus answered more than ${Math.round(max / 1024)} KiB; the answer was not read`,
      );
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PrometheusError(
        `Prometheus answered ${res.status} with a body that is not JSON`,
      );
    }
    if (json?.status !== 'success')
      throw new PrometheusError(
        `Prometheus: ${json?.errorType ?? res.status}: ${json?.error ?? 'query failed'}`,
      );
    return Array.isArray(json.data?.result) ? json.data.result : [];
  }

  /** The caller-facing text of a failed collection: our own messages as they are, anything else generic and logged. */
  private failureMessage(e: unknown): string {
    if (e instanceof PrometheusError) return e.message;
    this.options.logger?.warn(
      `Prometheus collection failed: ${(e as Error)?.message ?? String(e)}`,
    );
    return 'Prometheus: the query failed (details in the backend log)';
  }

  query(q: string): Promise<VectorSample[]> {
    return this.api('api/v1/query', {
      query: q,
      time: String(this.now() / 1000),
    });
  }

  queryRange(
    q: string,
    minutes: number,
    stepSeconds: number,
  ): Promise<VectorSample[]> {
    const end = this.now() / 1000;
    return this.api('api/v1/query_range', {
      query: q,
      start: String(end - minutes * 60),
      end: String(end),
      step: String(stepSeconds),
    });
  }

  async collect(input: PrometheusCollectInput): Promise<{
    endpoints: RoutingEndpoint[];
    epp: EppMetricsState;
    history: RoutingHistoryPoint[];
  }> {
    const w = this.options.rateWindow ?? '5m';
    const pods = input.leaders.map(l => l.pod);
    if (!pods.length) {
      return {
        endpoints: [],
        epp: input.hasRouter
          ? await this.collectEpp(input, w)
          : { state: 'no-router' },
        history: [],
      };
    }
    const sel = `namespace=${quote(input.namespace)},pod=~${quote(pods.map(escapeRegex).join('|'))}`;
    const byPod = (
      names: string[],
      agg: string,
      inner: (n: string) => string,
    ) => names.map(n => `${agg} by (pod) (${inner(n)})`).join(' or ');
    const gauge = (names: string[], agg = 'sum') =>
      byPod(names, agg, n => `${n}{${sel}}`);
    const rate = (names: string[]) =>
      byPod(names, 'sum', n => `rate(${n}{${sel}}[${w}])`);
    const quantile = (q: number, names: string[]) =>
      names
        .map(
          n =>
            `histogram_quantile(${q}, sum by (pod, le) (rate(${n}_bucket{${sel}}[${w}])))`,
        )
        .join(' or ');
    const queries: Record<string, string> = {
      running: gauge(['vllm:num_requests_running', 'sglang:num_running_reqs']),
      waiting: gauge(['vllm:num_requests_waiting', 'sglang:num_queue_reqs']),
      kv: gauge(
        [
          'vllm:kv_cache_usage_perc',
          'vllm:gpu_cache_usage_perc',
          'sglang:token_usage',
        ],
        'avg',
      ),
      hitRate: `(${rate(['vllm:prefix_cache_hits_total', 'vllm:gpu_prefix_cache_hits_total'])}) / (${rate(['vllm:prefix_cache_queries_total', 'vllm:gpu_prefix_cache_queries_total'])})`,
      requestRate: rate(['vllm:request_success_total']),
      promptTokens: rate([
        'vllm:prompt_tokens_total',
        'sglang:prompt_tokens_total',
      ]),
      generationTokens: rate([
        'vllm:generation_tokens_total',
        'sglang:generation_tokens_total',
      ]),
      ttft50: quantile(0.5, ['vllm:time_to_first_token_seconds']),
      ttft95: quantile(0.95, ['vllm:time_to_first_token_seconds']),
      ttft99: quantile(0.99, ['vllm:time_to_first_token_seconds']),
      e2e50: quantile(0.5, ['vllm:e2e_request_latency_seconds']),
      e2e95: quantile(0.95, ['vllm:e2e_request_latency_seconds']),
      e2e99: quantile(0.99, ['vllm:e2e_request_latency_seconds']),
      lora: `vllm:lora_requests_info{${sel}}`,
    };
    let results: Record<string, VectorSample[]>;
    try {
      const entries = await Promise.all(
        Object.entries(queries).map(
          async ([k, q]) => [k, await this.query(q)] as const,
        ),
      );
      results = Object.fromEntries(entries);
    } catch (e) {
      const message = this.failureMessage(e);
      return {
        endpoints: input.leaders.map(l => ({
          ...l,
          state: 'unreachable',
          message,
        })),
        epp: { state: 'unreachable', message },
        history: [],
      };
    }
    const valueOf = (k: string, pod: string) =>
      num(results[k].find(r => r.metric.pod === pod)?.value?.[1]);
    const endpoints = input.leaders.map((l): RoutingEndpoint => {
      const has = Object.keys(queries).some(
        k => k !== 'lora' && results[k].some(r => r.metric.pod === l.pod),
      );
      if (!has)
        return {
          ...l,
          state: l.ready ? 'error' : 'not-ready',
          message: l.ready
            ? 'Prometheus has no model-server series for this pod (is it scraped?)'
            : 'pod is not ready',
        };
      const pct = (p: string) => {
        const v = {
          p50: valueOf(`${p}50`, l.pod),
          p95: valueOf(`${p}95`, l.pod),
          p99: valueOf(`${p}99`, l.pod),
        };
        return v.p50 === undefined && v.p95 === undefined
          ? undefined
          : { ...v, count: 0 };
      };
      const metrics: EndpointRoutingMetrics = {
        running: valueOf('running', l.pod),
        waiting: valueOf('waiting', l.pod),
        kvCacheUsage: valueOf('kv', l.pod),
        prefixCacheHitRate: valueOf('hitRate', l.pod),
        requestRate: valueOf('requestRate', l.pod),
        promptTokensPerSecond: valueOf('promptTokens', l.pod),
        generationTokensPerSecond: valueOf('generationTokens', l.pod),
        ttft: pct('ttft'),
        e2e: pct('e2e'),
        lora: loraOf(results.lora.filter(r => r.metric.pod === l.pod)),
        window: 'rate',
      };
      return {
        ...l,
        state: 'ok',
        metrics: JSON.parse(JSON.stringify(metrics)),
      };
    });
    const [epp, history] = await Promise.all([
      input.hasRouter
        ? this.collectEpp(input, w)
        : Promise.resolve<EppMetricsState>({ state: 'no-router' }),
      this.history(sel, w),
    ]);
    return { endpoints, epp, history };
  }

  private async history(
    sel: string,
    w: string,
  ): Promise<RoutingHistoryPoint[]> {
    const minutes = this.options.historyMinutes ?? 30;
    const step = this.options.historyStepSeconds ?? 30;
    const series: Record<string, string> = {
      running: `sum(vllm:num_requests_running{${sel}})`,
      waiting: `sum(vllm:num_requests_waiting{${sel}})`,
      kvCacheUsage: `avg(vllm:kv_cache_usage_perc{${sel}}) or avg(vllm:gpu_cache_usage_perc{${sel}})`,
      requestRate: `sum(rate(vllm:request_success_total{${sel}}[${w}]))`,
    };
    try {
      const points = new Map<number, RoutingHistoryPoint>();
      await Promise.all(
        Object.entries(series).map(async ([k, q]) => {
          const r = await this.queryRange(q, minutes, step);
          for (const [t, v] of r[0]?.values ?? []) {
            const p = points.get(t) ?? { at: new Date(t * 1000).toISOString() };
            (p as any)[k] = num(v);
            points.set(t, p);
          }
        }),
      );
      return [...points.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([, p]) => p);
    } catch {
      return [];
    }
  }

  private async collectEpp(
    input: PrometheusCollectInput,
    w: string,
  ): Promise<EppMetricsState> {
    if (!input.eppPods.length)
      return { state: 'not-ready', message: 'no EPP pod exists yet' };
    const sel = `namespace=${quote(input.namespace)},pod=~${quote(input.eppPods.map(escapeRegex).join('|'))}`;
    const pair = (newName: string, oldName: string, f: (n: string) => string) =>
      `${f(newName)} or ${f(oldName)}`;
    const q: Record<string, string> = {
      requestRate: pair(
        'llm_d_epp_request_total',
        'inference_objective_request_total',
        n => `sum(rate(${n}{${sel}}[${w}]))`,
      ),
      errorRate: pair(
        'llm_d_epp_request_error_total',
        'inference_objective_request_error_total',
        n => `sum(rate(${n}{${sel}}[${w}]))`,
      ),
      errorsByCode: pair(
        'llm_d_epp_request_error_total',
        'inference_objective_request_error_total',
        n => `sum by (error_code) (increase(${n}{${sel}}[${w}]))`,
      ),
      p50: pair(
        'llm_d_epp_request_duration_seconds',
        'inference_objective_request_duration_seconds',
        n =>
          `histogram_quantile(0.5, sum by (le) (rate(${n}_bucket{${sel}}[${w}])))`,
      ),
      p95: pair(
        'llm_d_epp_request_duration_seconds',
        'inference_objective_request_duration_seconds',
        n =>
          `histogram_quantile(0.95, sum by (le) (rate(${n}_bucket{${sel}}[${w}])))`,
      ),
      p99: pair(
        'llm_d_epp_request_duration_seconds',
        'inference_objective_request_duration_seconds',
        n =>
          `histogram_quantile(0.99, sum by (le) (rate(${n}_bucket{${sel}}[${w}])))`,
      ),
      running: pair(
        'llm_d_epp_request_running',
        'inference_objective_running_requests',
        n => `sum(${n}{${sel}})`,
      ),
      kv: pair(
        'llm_d_epp_average_kv_cache_utilization',
        'inference_pool_average_kv_cache_utilization',
        n => `max(${n}{${sel}})`,
      ),
      queue: pair(
        'llm_d_epp_average_queue_size',
        'inference_pool_average_queue_size',
        n => `max(${n}{${sel}})`,
      ),
      ready: pair(
        'llm_d_epp_ready_endpoints',
        'inference_pool_ready_pods',
        n => `max(${n}{${sel}})`,
      ),
      perPod: `max by (model_server_endpoint) (llm_d_epp_per_endpoint_queue_size{${sel}}) or max by (model_server_pod) (inference_pool_per_pod_queue_size{${sel}})`,
      hitRatio: pair(
        'llm_d_epp_prefix_indexer_hit_ratio',
        'inference_extension_prefix_indexer_hit_ratio',
        n =>
          `sum(rate(${n}_sum{${sel}}[${w}])) / sum(rate(${n}_count{${sel}}[${w}]))`,
      ),
      decisions: `sum by (decision_type) (increase(llm_d_epp_disagg_decision_total{${sel}}[${w}])) or sum by (decision_type) (increase(llm_d_inference_scheduler_pd_decision_total{${sel}}[${w}]))`,
      info: `inference_extension_info{${sel}}`,
    };
    try {
      const r = Object.fromEntries(
        await Promise.all(
          Object.entries(q).map(
            async ([k, query]) => [k, await this.query(query)] as const,
          ),
        ),
      );
      if (Object.values(r).every(v => v.length === 0)) {
        return {
          state: 'error',
          message:
            'Prometheus has no EPP series for the EPP pods: is the EPP scraped? (its /metrics requires authentication by default)',
        };
      }
      const one = (k: string) => num(r[k][0]?.value?.[1]);
      const byLabel = (k: string, labels: string[]) =>
        Object.fromEntries(
          r[k].map(s => [
            labels.map(l => s.metric[l]).find(Boolean) ?? '',
            num(s.value?.[1]) ?? 0,
          ]),
        );
      const metrics: EppRoutingMetrics = {
        requestRate: one('requestRate'),
        errorRate:
          one('errorRate') ??
          (one('requestRate') !== undefined ? 0 : undefined),
        errorsByCode: byLabel('errorsByCode', ['error_code']),
        latency:
          one('p50') === undefined && one('p95') === undefined
            ? undefined
            : { p50: one('p50'), p95: one('p95'), p99: one('p99'), count: 0 },
        runningRequests: one('running'),
        pool: {
          averageKvCacheUtilization: one('kv'),
          averageQueueSize: one('queue'),
          readyEndpoints: one('ready'),
        },
        perEndpointQueue: byLabel('perPod', [
          'model_server_endpoint',
          'model_server_pod',
        ]),
        prefixIndexerHitRatio: one('hitRatio'),
        disaggDecisions: byLabel('decisions', ['decision_type']),
        buildRef: r.info[0]?.metric.build_ref,
        window: 'rate',
      };
      return { state: 'ok', metrics: JSON.parse(JSON.stringify(metrics)) };
    } catch (e) {
      return {
        state: 'unreachable',
        message: this.failureMessage(e),
      };
    }
  }
}

/** The LoRA series the EPP would pick: the newest whose adapter labels are not both empty. */
function loraOf(series: VectorSample[]): LoraState | undefined {
  if (!series.length) return undefined;
  const val = (s: VectorSample) => Number(s.value?.[1] ?? 0);
  const nonEmpty = series.filter(
    s => s.metric.running_lora_adapters || s.metric.waiting_lora_adapters,
  );
  const pool = nonEmpty.length ? nonEmpty : series;
  const chosen = pool.reduce((a, b) => (val(b) > val(a) ? b : a));
  const split = (x?: string) =>
    x
      ? x
          .split(',')
          .map(v => v.trim())
          .filter(Boolean)
      : [];
  const max = Number.parseInt(chosen.metric.max_lora ?? '', 10);
  return {
    ...(Number.isFinite(max) ? { maxLora: max } : {}),
    running: split(chosen.metric.running_lora_adapters),
    waiting: split(chosen.metric.waiting_lora_adapters),
  };
}
