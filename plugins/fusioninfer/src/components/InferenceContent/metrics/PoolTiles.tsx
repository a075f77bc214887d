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

/* The pool tiles of the Metrics tab: rates, load, KV cache and pool-level latencies. */

import Grid from '@mui/material/Grid';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import type {
  EndpointRoutingMetrics,
  Percentiles,
  RoutingEndpoint,
  RoutingMetricsResponse,
} from '@fusioninfer/plugin-fusioninfer-common';
import { format } from '../../common';

/** Pool-level latency from endpoint percentiles: count-weighted mean of p50, worst p95. */
export function poolLatency(
  endpoints: RoutingEndpoint[],
  pick: (m: EndpointRoutingMetrics) => Percentiles | undefined,
): { p50?: number; p95?: number } {
  let weight = 0;
  let sum = 0;
  let p95: number | undefined;
  for (const e of endpoints) {
    const p = e.metrics ? pick(e.metrics) : undefined;
    if (!p) continue;
    if (p.p50 !== undefined && p.count > 0) {
      sum += p.p50 * p.count;
      weight += p.count;
    }
    if (p.p95 !== undefined) p95 = Math.max(p95 ?? 0, p.p95);
  }
  return { p50: weight > 0 ? sum / weight : undefined, p95 };
}

function Tile(props: { label: string; value: string; hint?: string }) {
  return (
    <Paper variant="outlined" sx={{ p: 1, height: '100%' }}>
      <Typography variant="caption" color="text.secondary" component="div">
        {props.label}
      </Typography>
      <Typography variant="h6" component="div">
        {props.value}
      </Typography>
      {props.hint && (
        <Typography variant="caption" color="text.secondary">
          {props.hint}
        </Typography>
      )}
    </Paper>
  );
}

/** The pool's numbers, one tile each. */
export function PoolTiles(props: { metrics: RoutingMetricsResponse }) {
  const m = props.metrics;
  const ttft = poolLatency(m.endpoints, x => x.ttft);
  const itl = poolLatency(m.endpoints, x => x.itl);
  const e2e = poolLatency(m.endpoints, x => x.e2e);
  return (
    <Grid container spacing={1} role="list" aria-label="Pool">
      {[
        ['Requests/s', format.rate(m.pool.requestRate)],
        ['Prompt tokens/s', format.rate(m.pool.promptTokensPerSecond)],
        ['Generation tokens/s', format.rate(m.pool.generationTokensPerSecond)],
        [
          'Running / waiting',
          `${format.count(m.pool.running)} / ${format.count(m.pool.waiting)}`,
        ],
        [
          'KV cache (mean / max)',
          `${format.percent(m.pool.kvCacheUsage)} / ${format.percent(m.pool.maxKvCacheUsage)}`,
        ],
        ['Prefix-cache hit rate', format.percent(m.pool.prefixCacheHitRate)],
        [
          'TTFT p50 / p95',
          `${format.seconds(ttft.p50)} / ${format.seconds(ttft.p95)}`,
        ],
        [
          'Inter-token p50 / p95',
          `${format.seconds(itl.p50)} / ${format.seconds(itl.p95)}`,
        ],
        [
          'End-to-end p50 / p95',
          `${format.seconds(e2e.p50)} / ${format.seconds(e2e.p95)}`,
        ],
      ].map(([label, value]) => (
        <Grid item xs={6} sm={4} md={4} lg={2.4} key={label} role="listitem">
          <Tile
            label={label}
            value={value}
            hint={
              label.includes('p50 / p95')
                ? 'p50 weighted by requests, p95 of the worst endpoint'
                : undefined
            }
          />
        </Grid>
      ))}
    </Grid>
  );
}
