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

import fs from 'fs';
import path from 'path';
import fc from 'fast-check';
import { REPO_ROOT } from '../__testUtils__/examples';
import {
  aggregateEndpoints,
  endpointRoutingMetrics,
  eppRoutingMetrics,
  histogramDelta,
  histogramFrom,
  histogramQuantile,
  parsePromNumber,
  parsePrometheusText,
  readEppMetrics,
  readModelServerMetrics,
  RoutingEndpoint,
} from '.';

const sample = (f: string) =>
  fs.readFileSync(path.join(REPO_ROOT, 'examples/metrics', f), 'utf8');
const FILES = [
  'vllm-metrics.txt',
  'llm-d-inference-sim-metrics.txt',
  'epp-metrics.txt',
  'epp-metrics-llm-d-router.txt',
];

describe('parsePrometheusText', () => {
  it.each(FILES)('reads every sample line of %s without an error', f => {
    const text = sample(f);
    const exp = parsePrometheusText(text);
    expect(exp.errors).toEqual([]);
    const sampleLines = text
      .split('\n')
      .filter(l => l.trim() && !l.startsWith('#'));
    expect(exp.samples).toHaveLength(sampleLines.length);
    expect(Object.keys(exp.types).length).toBeGreaterThan(3);
  });

  it('reads the number formats of Python and Go servers', () => {
    expect(parsePromNumber('3.0')).toBe(3);
    expect(parsePromNumber('1.098174e+06')).toBe(1098174);
    expect(parsePromNumber('6.442450944e+010')).toBe(64424509440);
    expect(parsePromNumber('1.0931263819e+10')).toBe(10931263819);
    expect(parsePromNumber('+Inf')).toBe(Infinity);
    expect(parsePromNumber('-Inf')).toBe(-Infinity);
    expect(parsePromNumber('NaN')).toBeNaN();
    expect(parsePromNumber('12abc')).toBeNaN();
  });

  it('keeps `_created` apart from the counter it belongs to', () => {
    const exp = parsePrometheusText(sample('vllm-metrics.txt'));
    expect(exp.byName.get('vllm:prompt_tokens_total')).toHaveLength(1);
    expect(
      exp.byName.get('vllm:prompt_tokens_created')![0].value,
    ).toBeGreaterThan(1e9);
    expect(exp.types['vllm:prompt_tokens_total']).toBe('counter');
  });

  it('reads blanks after commas, escapes, trailing commas, timestamps, quoted names and # EOF', () => {
    const exp = parsePrometheusText(
      [
        'a{x="1", y="two words",} 1 1700000000000',
        'b{path="C:\\\\dir",msg="say \\"hi\\"\\nbye"} 2',
        '{"my.metric", le="0.5"} 3',
        'c 4 1700000000.5',
        '# EOF',
        'd 5',
      ].join('\n'),
    );
    expect(exp.errors).toEqual([]);
    expect(exp.samples.map(s => s.name)).toEqual(['a', 'b', 'my.metric', 'c']);
    expect(exp.samples[0]).toEqual({
      name: 'a',
      labels: { x: '1', y: 'two words' },
      value: 1,
      timestampMs: 1700000000000,
    });
    expect(exp.samples[1].labels).toEqual({
      path: 'C:\\dir',
      msg: 'say "hi"\nbye',
    });
    expect(exp.samples[2].labels).toEqual({ le: '0.5' });
    expect(exp.samples[3].timestampMs).toBe(1700000000500);
  });

  it('reports malformed lines with their number and keeps reading', () => {
    const exp = parsePrometheusText(
      'ok 1\nbad{x=1} 2\nnovalue\nx{a="1",a="2"} 3\ny abc\n# TYPE z sparkles\nok2 2\r\n',
    );
    expect(exp.samples.map(s => s.name)).toEqual(['ok', 'ok2']);
    expect(exp.errors.map(e => e.line)).toEqual([2, 3, 4, 5, 6]);
    expect(exp.errors[0].message).toMatch(/quoted/);
    expect(exp.errors[2].message).toMatch(/twice/);
  });

  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()),
        body => {
          const exp = parsePrometheusText(body);
          expect(Array.isArray(exp.samples)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cuts oversized bodies and sample floods', () => {
    const big = 'm 1\n'.repeat(1000);
    expect(parsePrometheusText(big, { maxBytes: 400 }).samples).toHaveLength(
      100,
    );
    const flood = parsePrometheusText(big, { maxSamples: 10 });
    expect(flood.samples).toHaveLength(10);
    expect(flood.errors[0].message).toMatch(/more than 10 samples/);
  });
});

describe('histograms', () => {
  it('matches histogram_quantile on the vLLM TTFT and E2E histograms', () => {
    const exp = parsePrometheusText(sample('vllm-metrics.txt'));
    const ttft = histogramFrom(exp, 'vllm:time_to_first_token_seconds')!;
    expect(ttft.count).toBe(1200);
    expect(histogramQuantile(0.5, ttft)).toBeCloseTo(0.125, 6);
    expect(histogramQuantile(0.95, ttft)).toBeCloseTo(0.444099, 5);
    expect(histogramQuantile(0.99, ttft)).toBeCloseTo(0.666667, 5);
    const e2e = histogramFrom(exp, 'vllm:e2e_request_latency_seconds')!;
    expect(histogramQuantile(0.5, e2e)).toBeCloseTo(4.188805, 5);
  });

  it('reads Go-format histograms (le="1", _sum before _count) and sums series over labels', () => {
    const sim = histogramFrom(
      parsePrometheusText(sample('llm-d-inference-sim-metrics.txt')),
      'vllm:time_to_first_token_seconds',
    )!;
    expect(sim.count).toBe(6);
    expect(histogramQuantile(0.5, sim)).toBeCloseTo(0.175, 6);
    const epp = histogramFrom(
      parsePrometheusText(sample('epp-metrics.txt')),
      'inference_objective_request_duration_seconds',
    )!;
    expect(epp.count).toBe(4);
    // The GIE fixture writes the last bound as le="Inf" (not "+Inf").
    expect(epp.buckets[epp.buckets.length - 1]).toEqual({
      le: Infinity,
      count: 4,
    });
    expect(histogramQuantile(0.95, epp)).toBeCloseTo(1.9, 6);
  });

  it('answers the largest finite bound when the rank falls in +Inf, and nothing without observations', () => {
    const h = {
      buckets: [
        { le: 1, count: 1 },
        { le: 2, count: 1 },
        { le: Infinity, count: 10 },
      ],
      sum: 100,
      count: 10,
    };
    expect(histogramQuantile(0.99, h)).toBe(2);
    expect(
      histogramQuantile(0.5, {
        buckets: [
          { le: 1, count: 0 },
          { le: Infinity, count: 0 },
        ],
        sum: 0,
        count: 0,
      }),
    ).toBeUndefined();
  });

  it('subtracts scrapes and treats a reset as a fresh start', () => {
    const a = {
      buckets: [
        { le: 1, count: 5 },
        { le: Infinity, count: 10 },
      ],
      sum: 20,
      count: 10,
    };
    const b = {
      buckets: [
        { le: 1, count: 9 },
        { le: Infinity, count: 16 },
      ],
      sum: 30,
      count: 16,
    };
    expect(histogramDelta(b, a)).toEqual({
      buckets: [
        { le: 1, count: 4 },
        { le: Infinity, count: 6 },
      ],
      sum: 10,
      count: 6,
    });
    const restarted = {
      buckets: [
        { le: 1, count: 1 },
        { le: Infinity, count: 1 },
      ],
      sum: 0.5,
      count: 1,
    };
    expect(histogramDelta(restarted, b)).toBe(restarted);
  });
});

describe('model-server metrics', () => {
  it('reads a vLLM server: gauges, counters without _created, histograms, LoRA as the EPP reads it, cache config', () => {
    const s = readModelServerMetrics(
      parsePrometheusText(sample('vllm-metrics.txt')),
      0,
    );
    expect(s).toMatchObject({
      engine: 'vllm',
      models: ['Qwen/Qwen3-8B'],
      running: 3,
      waiting: 1,
      kvCacheMetric: 'vllm:kv_cache_usage_perc',
      prefixCacheHits: 459360,
      prefixCacheQueries: 1098174,
      requestsTotal: 1200,
      cacheConfig: { blockSize: 16, numGpuBlocks: 29268 },
      lora: { maxLora: 4, running: ['sql-lora'], waiting: [] },
    });
    expect(s.kvCacheUsage).toBeCloseTo(0.042134, 5);
    expect(s.ttft!.count).toBe(1200);
  });

  it('reads the simulator (no engine label, finish_reason, Go numbers)', () => {
    const s = readModelServerMetrics(
      parsePrometheusText(sample('llm-d-inference-sim-metrics.txt')),
      0,
    );
    expect(s).toMatchObject({
      running: 1,
      waiting: 0,
      kvCacheUsage: 0.0625,
      prefixCacheHits: 48,
      prefixCacheQueries: 150,
      requestsTotal: 6,
    });
    expect(s.lora).toEqual({
      maxLora: 2,
      running: ['food-review-1'],
      waiting: [],
    });
  });

  it('accepts the deprecated and simulator names, and sums queues / averages KV over data-parallel engines', () => {
    const text = [
      'vllm:num_requests_waiting{engine="0"} 2',
      'vllm:num_requests_waiting{engine="1"} 3',
      'vllm:gpu_cache_usage_perc{engine="0"} 0.2',
      'vllm:gpu_cache_usage_perc{engine="1"} 0.6',
      'vllm:prefix_cache_hits 10',
      'vllm:prefix_cache_queries 40',
    ].join('\n');
    const s = readModelServerMetrics(parsePrometheusText(text), 0);
    expect(s.waiting).toBe(5);
    expect(s.kvCacheUsage).toBeCloseTo(0.4);
    expect(s.kvCacheMetric).toBe('vllm:gpu_cache_usage_perc');
    expect(endpointRoutingMetrics(s).prefixCacheHitRate).toBe(0.25);
  });

  it('computes rates, the window hit rate and window percentiles from two scrapes, with counter resets', () => {
    const scrape = (
      hits: number,
      queries: number,
      ok: number,
      fast: number,
      slow: number,
    ) =>
      parsePrometheusText(
        [
          `vllm:prefix_cache_hits_total ${hits}`,
          `vllm:prefix_cache_queries_total ${queries}`,
          `vllm:request_success_total{finished_reason="stop"} ${ok}`,
          `vllm:time_to_first_token_seconds_bucket{le="0.1"} ${fast}`,
          `vllm:time_to_first_token_seconds_bucket{le="1.0"} ${fast + slow}`,
          `vllm:time_to_first_token_seconds_bucket{le="+Inf"} ${fast + slow}`,
          `vllm:time_to_first_token_seconds_count ${fast + slow}`,
          `vllm:time_to_first_token_seconds_sum ${fast * 0.05 + slow * 0.5}`,
        ].join('\n'),
      );
    const a = readModelServerMetrics(scrape(100, 1000, 50, 50, 0), 0);
    const b = readModelServerMetrics(scrape(900, 2000, 70, 50, 20), 10_000);
    const m = endpointRoutingMetrics(b, a);
    expect(m.window).toBe('rate');
    expect(m.windowSeconds).toBe(10);
    expect(m.requestRate).toBe(2);
    expect(m.prefixCacheHitRate).toBe(0.8);
    // All 20 requests of the window were slow: p50 inside (0.1, 1], not the cumulative mix.
    expect(m.ttft!.p50).toBeCloseTo(0.55, 6);
    expect(m.ttft!.count).toBe(20);
    const restarted = readModelServerMetrics(scrape(5, 10, 3, 3, 0), 20_000);
    expect(endpointRoutingMetrics(restarted, b).requestRate).toBe(0.3);
    expect(endpointRoutingMetrics(a).window).toBe('cumulative');
    expect(endpointRoutingMetrics(a).requestRate).toBeUndefined();
  });
});

describe('EPP metrics', () => {
  it('reads GIE v1.2.1 names', () => {
    const e = readEppMetrics(
      parsePrometheusText(sample('epp-metrics.txt')),
      0,
      'p1',
    );
    expect(e.naming).toBe('gie');
    expect(e.requestsTotal).toBe(4);
    expect(e.errorsTotal).toBe(4);
    expect(e.errorsByCode).toEqual({
      Internal: 2,
      ModelServerError: 1,
      InferencePoolResourceExhausted: 1,
    });
    expect(e.pool.averageKvCacheUtilization).toBe(0.3);
    expect(e.pool.averageQueueSize).toBe(0.4);
    expect(e.pool.readyEndpoints).toBe(3);
    expect(e.perEndpointQueue).toEqual({ 'pod1-rank-0': 100 });
    expect(e.disaggDecisions).toEqual({
      'decode-only': 1,
      'prefill-decode': 2,
    });
    const m = eppRoutingMetrics(e);
    expect(m.prefixIndexerHitRatio).toBe(0.45);
    expect(m.latency!.p95).toBeCloseTo(1.9, 6);
  });

  it('reads llm-d-router names without counting dual-emitted series twice', () => {
    const e = readEppMetrics(
      parsePrometheusText(sample('epp-metrics-llm-d-router.txt')),
      0,
      'test-pool',
    );
    expect(e.naming).toBe('llm-d');
    expect(e.requestsTotal).toBe(4);
    expect(e.errorsByCode).toEqual({
      Internal: 2,
      ModelServerError: 1,
      ResourceExhausted: 1,
    });
    expect(e.runningRequests).toBe(2);
    expect(e.pool.averageRunningRequests).toBe(0.5);
    expect(e.perEndpointQueue).toEqual({ 'pod1-rank-0': 100 });
    expect(e.disaggDecisions).toEqual({
      'decode-only': 1,
      'encode-decode': 1,
      'encode-prefill-decode': 3,
      'prefill-decode': 2,
    });
    expect(e.prefixIndexerSize).toBe(4096);
  });

  it('computes request and error rates over a window; no error series means zero errors', () => {
    const a = readEppMetrics(
      parsePrometheusText(
        'inference_objective_request_total{model_name="m"} 10',
      ),
      0,
    );
    const b = readEppMetrics(
      parsePrometheusText(
        'inference_objective_request_total{model_name="m"} 30',
      ),
      5000,
    );
    expect(eppRoutingMetrics(b, a)).toMatchObject({
      requestRate: 4,
      errorRate: 0,
      window: 'rate',
    });
  });
});

describe('aggregateEndpoints', () => {
  it('sums queues and rates, averages KV and hit rate, keeps the worst p95, over reporting endpoints only', () => {
    const ep = (
      pod: string,
      state: RoutingEndpoint['state'],
      running: number,
      kv: number,
      p95: number,
    ): RoutingEndpoint => ({
      pod,
      role: 'worker',
      componentType: 'worker',
      ready: state === 'ok',
      state,
      metrics:
        state === 'ok'
          ? {
              running,
              waiting: 1,
              kvCacheUsage: kv,
              requestRate: 2,
              prefixCacheHitRate: 0.5,
              ttft: { p95, count: 1 },
              window: 'rate',
            }
          : undefined,
    });
    const agg = aggregateEndpoints([
      ep('a', 'ok', 2, 0.2, 0.3),
      ep('b', 'ok', 4, 0.6, 0.9),
      ep('c', 'unreachable', 0, 0, 0),
    ]);
    expect(agg).toEqual({
      endpoints: 3,
      reporting: 2,
      running: 6,
      waiting: 2,
      kvCacheUsage: 0.4,
      maxKvCacheUsage: 0.6,
      prefixCacheHitRate: 0.5,
      requestRate: 4,
      worstTtftP95: 0.9,
    });
  });
});

describe('OpenAI API error rate (issue 19: a canary gate)', () => {
  const exposition = (ok: number, errors: number, health: number) =>
    [
      '# TYPE http_requests_total counter',
      `http_requests_total{handler="/v1/completions",method="POST",status="2xx"} ${ok}`,
      `http_requests_total{handler="/v1/completions",method="POST",status="5xx"} ${errors}`,
      `http_requests_total{handler="/v1/chat/completions",method="POST",status="4xx"} 3`,
      `http_requests_total{handler="/health",method="GET",status="5xx"} ${health}`,
    ].join('\n');

  it('is the 5xx share of the /v1/ handlers in the window, health checks left out', () => {
    const a = readModelServerMetrics(
      parsePrometheusText(exposition(100, 0, 50)),
      0,
    );
    expect(a).toMatchObject({ apiRequests: 103, apiServerErrors: 0 });
    const b = readModelServerMetrics(
      parsePrometheusText(exposition(180, 20, 90)),
      10_000,
    );
    const m = endpointRoutingMetrics(b, a);
    expect(m).toMatchObject({ apiRequests: 100, errorRate: 0.2 });
    // First scrape: since the server started, like the latency percentiles.
    expect(endpointRoutingMetrics(b)).toMatchObject({
      apiRequests: 203,
      errorRate: 0.0985,
    });
    // The pool's share is weighted by requests, not a mean of the endpoints' shares.
    const agg = aggregateEndpoints([
      {
        pod: 'a',
        role: 'w',
        componentType: 'worker',
        ready: true,
        state: 'ok',
        metrics: { ...m, window: 'rate' },
      },
      {
        pod: 'b',
        role: 'w',
        componentType: 'worker',
        ready: true,
        state: 'ok',
        metrics: { apiRequests: 300, errorRate: 0, window: 'rate' },
      },
    ]);
    expect(agg.errorRate).toBe(0.05);
  });
});
