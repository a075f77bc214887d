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

import { RoutingAggregate, RoutingEndpoint } from './types';

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Sums (queues, rates), means (KV-cache use, hit rate) and worst p95s over the endpoints that report metrics. @public */
export function aggregateEndpoints(
  endpoints: RoutingEndpoint[],
): RoutingAggregate {
  const reporting = endpoints
    .filter(e => e.state === 'ok' && e.metrics)
    .map(e => e.metrics!);
  const agg: RoutingAggregate = {
    endpoints: endpoints.length,
    reporting: reporting.length,
  };
  const values = (
    pick: (m: (typeof reporting)[number]) => number | undefined,
  ) =>
    reporting
      .map(pick)
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const total = (
    pick: (m: (typeof reporting)[number]) => number | undefined,
  ) => {
    const v = values(pick);
    return v.length ? r4(v.reduce((a, b) => a + b, 0)) : undefined;
  };
  const mean = (
    pick: (m: (typeof reporting)[number]) => number | undefined,
  ) => {
    const v = values(pick);
    return v.length ? r4(v.reduce((a, b) => a + b, 0) / v.length) : undefined;
  };
  const max = (pick: (m: (typeof reporting)[number]) => number | undefined) => {
    const v = values(pick);
    return v.length ? Math.max(...v) : undefined;
  };
  const set = <K extends keyof RoutingAggregate>(
    k: K,
    v: RoutingAggregate[K] | undefined,
  ) => {
    if (v !== undefined) agg[k] = v;
  };
  set(
    'running',
    total(m => m.running),
  );
  set(
    'waiting',
    total(m => m.waiting),
  );
  set(
    'kvCacheUsage',
    mean(m => m.kvCacheUsage),
  );
  set(
    'maxKvCacheUsage',
    max(m => m.kvCacheUsage),
  );
  set(
    'prefixCacheHitRate',
    mean(m => m.prefixCacheHitRate),
  );
  set(
    'requestRate',
    total(m => m.requestRate),
  );
  set(
    'promptTokensPerSecond',
    total(m => m.promptTokensPerSecond),
  );
  set(
    'generationTokensPerSecond',
    total(m => m.generationTokensPerSecond),
  );
  set(
    'worstTtftP95',
    max(m => m.ttft?.p95),
  );
  set(
    'worstE2eP95',
    max(m => m.e2e?.p95),
  );
  // Weighted by each endpoint's requests: the pool's share, not the mean of the endpoints' shares.
  const requests = total(m => m.apiRequests);
  const errors = total(m =>
    m.errorRate !== undefined && m.apiRequests !== undefined
      ? m.errorRate * m.apiRequests
      : undefined,
  );
  if (requests !== undefined && requests > 0 && errors !== undefined)
    agg.errorRate = Math.round((errors / requests) * 10000) / 10000;
  return agg;
}
