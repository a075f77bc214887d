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

import { RoutingEndpoint } from '@fusioninfer/plugin-fusioninfer-common';
import { ConfigReader } from '@backstage/config';
import { PrometheusSource, readPrometheusOptions } from './PrometheusSource';

type Handler = (query: string) => Array<{
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}>;

function fakeFetch(
  handler: Handler,
  seen: Array<{ url: string; query: string; headers: Record<string, string> }>,
): typeof fetch {
  return (async (url: string, init: any) => {
    const params = new URLSearchParams(init.body);
    const query = params.get('query')!;
    seen.push({ url, query, headers: init.headers });
    if (query.includes('BROKEN'))
      return new Response(
        JSON.stringify({
          status: 'error',
          errorType: 'bad_data',
          error: 'parse error',
        }),
        { status: 400 },
      );
    return new Response(
      JSON.stringify({
        status: 'success',
        data: {
          resultType: url.includes('query_range') ? 'matrix' : 'vector',
          result: handler(query),
        },
      }),
    );
  }) as any;
}

const leaders: RoutingEndpoint[] = [
  {
    pod: 'qwen-inference-0-0',
    role: 'inference',
    componentType: 'worker',
    replicaIndex: 0,
    ready: true,
    state: 'not-ready',
  },
  {
    pod: 'qwen-inference-1-0',
    role: 'inference',
    componentType: 'worker',
    replicaIndex: 1,
    ready: true,
    state: 'not-ready',
  },
];
const v = (pod: string, value: number) => ({
  metric: { pod },
  value: [1700000000, String(value)] as [number, string],
});

describe('PrometheusSource', () => {
  it('reads `fusioninfer.prometheus` and is absent without a URL', () => {
    expect(readPrometheusOptions(new ConfigReader({}))).toBeUndefined();
    expect(
      readPrometheusOptions(
        new ConfigReader({
          fusioninfer: {
            prometheus: {
              url: 'http://prom:9090',
              bearerToken: 't',
              headers: { 'X-Scope-OrgID': 'a' },
            },
          },
        }),
      ),
    ).toEqual({
      url: 'http://prom:9090',
      bearerToken: 't',
      headers: { 'X-Scope-OrgID': 'a' },
      rateWindow: undefined,
      historyMinutes: undefined,
      historyStepSeconds: undefined,
    });
  });

  it('queries by namespace and the pods Kubernetes names, maps series to endpoints, joins aliases with `or`', async () => {
    const seen: any[] = [];
    const source = new PrometheusSource({
      url: 'http://prom:9090/prefix',
      bearerToken: 'secret',
      now: () => 1_700_000_000_000,
      fetchImpl: fakeFetch(q => {
        if (q.startsWith('sum(vllm:num_requests_running'))
          return [
            {
              metric: {},
              values: [
                [1699999970, '3'],
                [1700000000, '5'],
              ],
            },
          ];
        if (q.startsWith('sum by (pod) (vllm:num_requests_running'))
          return [v('qwen-inference-0-0', 2), v('qwen-inference-1-0', 3)];
        if (q.startsWith('avg by (pod) (vllm:kv_cache_usage_perc'))
          return [v('qwen-inference-0-0', 0.25)];
        if (q.startsWith('(sum by (pod) (rate(vllm:prefix_cache_hits_total'))
          return [v('qwen-inference-0-0', 0.5)];
        if (
          q.startsWith(
            'histogram_quantile(0.95, sum by (pod, le) (rate(vllm:time_to_first_token_seconds_bucket',
          )
        )
          return [v('qwen-inference-1-0', 0.7)];
        if (q.startsWith('vllm:lora_requests_info'))
          return [
            {
              metric: {
                pod: 'qwen-inference-0-0',
                running_lora_adapters: 'a,b',
                waiting_lora_adapters: '',
                max_lora: '4',
              },
              value: [0, '100'],
            },
            {
              metric: {
                pod: 'qwen-inference-0-0',
                running_lora_adapters: '',
                waiting_lora_adapters: '',
                max_lora: '4',
              },
              value: [0, '200'],
            },
          ];
        if (q.startsWith('sum(rate(llm_d_epp_request_total'))
          return [{ metric: {}, value: [0, '12.5'] }];
        if (q.startsWith('max(llm_d_epp_ready_endpoints'))
          return [{ metric: {}, value: [0, '2'] }];
        if (q.startsWith('sum by (decision_type)'))
          return [
            { metric: { decision_type: 'prefill-decode' }, value: [0, '7'] },
          ];
        return [];
      }, seen),
    });
    const r = await source.collect({
      namespace: 'default',
      leaders,
      eppPods: ['qwen-epp-abc'],
      hasRouter: true,
      poolName: 'qwen-pool',
    });
    expect(seen[0].url).toBe('http://prom:9090/prefix/api/v1/query');
    expect(seen[0].headers.authorization).toBe('Bearer secret');
    const running = seen.find(s =>
      s.query.startsWith('sum by (pod) (vllm:num_requests_running'),
    );
    expect(running.query).toContain(
      'namespace="default",pod=~"qwen-inference-0-0|qwen-inference-1-0"',
    );
    expect(
      seen.find(s =>
        s.query.startsWith('avg by (pod) (vllm:kv_cache_usage_perc'),
      ).query,
    ).toContain(' or avg by (pod) (vllm:gpu_cache_usage_perc');
    expect(
      seen.find(s => s.query.startsWith('sum(rate(llm_d_epp_request_total'))
        .query,
    ).toContain('pod=~"qwen-epp-abc"');
    expect(r.endpoints[0]).toMatchObject({
      pod: 'qwen-inference-0-0',
      state: 'ok',
      metrics: {
        running: 2,
        kvCacheUsage: 0.25,
        prefixCacheHitRate: 0.5,
        lora: { maxLora: 4, running: ['a', 'b'], waiting: [] },
        window: 'rate',
      },
    });
    expect(r.endpoints[1]).toMatchObject({
      state: 'ok',
      metrics: { running: 3, ttft: { p95: 0.7 } },
    });
    expect(r.epp).toMatchObject({
      state: 'ok',
      metrics: {
        requestRate: 12.5,
        errorRate: 0,
        pool: { readyEndpoints: 2 },
        disaggDecisions: { 'prefill-decode': 7 },
      },
    });
    expect(r.history.map(h => [h.at, h.running])).toEqual([
      ['2023-11-14T22:12:50.000Z', 3],
      ['2023-11-14T22:13:20.000Z', 5],
    ]);
  });

  it('turns a Prometheus failure into per-endpoint "unreachable", never a throw', async () => {
    const source = new PrometheusSource({
      url: 'http://prom:9090',
      fetchImpl: (async () => {
        throw new Error('connect ECONNREFUSED');
      }) as any,
    });
    const r = await source.collect({
      namespace: 'default',
      leaders,
      eppPods: [],
      hasRouter: true,
      poolName: 'qwen-pool',
    });
    expect(r.endpoints.map(e => e.state)).toEqual([
      'unreachable',
      'unreachable',
    ]);
    expect(r.endpoints[0].message).toBe(
      'Prometheus could not be reached (details in the backend log)',
    );
    expect(r.epp.state).toBe('unreachable');
  });

  it('says when Prometheus holds no series for a pod or for the EPP', async () => {
    const source = new PrometheusSource({
      url: 'http://prom:9090',
      fetchImpl: fakeFetch(() => [], []),
    });
    const r = await source.collect({
      namespace: 'default',
      leaders,
      eppPods: ['qwen-epp-abc'],
      hasRouter: true,
      poolName: 'qwen-pool',
    });
    expect(r.endpoints[0]).toMatchObject({
      state: 'error',
      message: expect.stringMatching(/no model-server series/),
    });
    expect(r.epp).toMatchObject({
      state: 'error',
      message: expect.stringMatching(/no EPP series/),
    });
  });
});
