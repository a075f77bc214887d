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

import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Grid from '@mui/material/Grid';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { LineChart } from '@mui/x-charts/LineChart';
import type {
  EndpointRoutingMetrics,
  Percentiles,
  RoutingEndpoint,
  RoutingMetricsResponse,
} from '@fusioninfer/plugin-fusioninfer-common';
import { format } from '../common';
import { plural } from '../../lib/plural';

/** What to do when an endpoint has no numbers. */
export const ENDPOINT_STATE_HELP: Record<
  Exclude<RoutingEndpoint['state'], 'ok'>,
  string
> = {
  'not-ready':
    'The pod is not ready yet; numbers appear once its model server answers.',
  unreachable:
    "The backend could not reach the pod's /metrics through the API server's pod proxy: its cluster identity needs get on pods/proxy in this namespace.",
  error: 'The model server answered, but its /metrics could not be read.',
};

const EPP_STATE_HELP: Record<string, string> = {
  'unavailable-auth':
    "The endpoint picker requires authentication for /metrics (GIE's --metrics-endpoint-auth defaults to true). Set fusioninfer.epp.disableMetricsAuth: true, grant the EPP's service account TokenReview/SubjectAccessReview rights, or read metrics from Prometheus (fusioninfer.prometheus).",
  unreachable:
    "The backend could not reach the endpoint picker's /metrics: its cluster identity needs get on pods/proxy.",
  'not-ready': 'The endpoint picker is not ready yet.',
  error: "The endpoint picker's /metrics could not be read.",
};

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

const decimal = (v: number, digits: number) =>
  v.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });

/**
 * How a chart draws one quantity: raw values (seconds, fractions) are multiplied by `factor` before they are drawn,
 * the axis labels its ticks in `unit`, and the tooltip shows the raw value exactly as the tiles and tables do.
 */
export interface ChartScale {
  unit: string;
  factor: number;
  /** Tick label of the value axis, for a drawn value. */
  tick: (drawn: number) => string;
  /** Tooltip text for a drawn value: the raw value in the tiles' format. */
  value: (drawn: number | null) => string;
}

/** Fractions (0–1: KV-cache use, hit rates) drawn as percent, as the tiles show them. */
export const PERCENT_SCALE: ChartScale = {
  unit: '%',
  factor: 100,
  tick: v => `${decimal(v, 1)} %`,
  value: v => (v === null ? '—' : format.percent(v / 100)),
};

/**
 * Latencies (seconds) drawn in milliseconds while every value is below one second — so a 9.8 ms TTFT reads "9.8 ms"
 * on the axis, not "0.00…" — and in seconds otherwise.
 */
export function latencyScale(raw: Array<number | null>): ChartScale {
  const max = Math.max(0, ...raw.filter((v): v is number => v !== null));
  if (max >= 1)
    return {
      unit: 's',
      factor: 1,
      tick: v => `${decimal(v, 2)} s`,
      value: v => (v === null ? '—' : format.seconds(v)),
    };
  return {
    unit: 'ms',
    factor: 1000,
    tick: v => `${decimal(v, 1)} ms`,
    value: v => (v === null ? '—' : format.seconds(v / 1000)),
  };
}

/** Counts and rates, drawn as they are. */
export const PLAIN_SCALE: ChartScale = {
  unit: '',
  factor: 1,
  tick: v => decimal(v, 2),
  value: v => (v === null ? '—' : format.count(v)),
};

export interface ChartSpec {
  title: string;
  scale: ChartScale;
  series: Array<{
    label: string;
    /** The values as the backend sends them (seconds, fractions), one per history point. */
    raw: Array<number | null>;
    /** The values drawn (`raw` × `scale.factor`). */
    data: Array<number | null>;
  }>;
}

const num = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? null : v;

function spec(
  title: string,
  scale: ChartScale,
  series: Array<{ label: string; raw: Array<number | null> }>,
): ChartSpec {
  return {
    title,
    scale,
    series: series.map(s => ({
      ...s,
      // Rounded so that 0.057 s is drawn as 57, not 57.00000000000001.
      data: s.raw.map(v =>
        v === null ? null : Math.round(v * scale.factor * 1e6) / 1e6,
      ),
    })),
  };
}

/** The charts of the Metrics tab from the backend's history: what each one draws, in which unit. */
export function metricsCharts(m: RoutingMetricsResponse): ChartSpec[] {
  const endpointNames = [
    ...new Set(m.history.flatMap(h => Object.keys(h.endpoints ?? {}))),
  ].sort();
  const ttft = m.history.map(h => num(h.worstTtftP95));
  return [
    spec('Requests per second', PLAIN_SCALE, [
      { label: 'requests/s', raw: m.history.map(h => num(h.requestRate)) },
    ]),
    spec('Running and waiting requests', PLAIN_SCALE, [
      { label: 'running', raw: m.history.map(h => num(h.running)) },
      { label: 'waiting', raw: m.history.map(h => num(h.waiting)) },
    ]),
    spec(
      'KV-cache use per endpoint',
      PERCENT_SCALE,
      endpointNames.length
        ? endpointNames.map(pod => ({
            label: pod,
            raw: m.history.map(h => num(h.endpoints?.[pod]?.kvCacheUsage)),
          }))
        : [
            {
              label: 'pool mean',
              raw: m.history.map(h => num(h.kvCacheUsage)),
            },
          ],
    ),
    spec('Time to first token, worst p95', latencyScale(ttft), [
      { label: 'TTFT p95', raw: ttft },
    ]),
  ];
}

function Chart(props: { chart: ChartSpec; times: Date[] }) {
  const { chart } = props;
  const hasData = chart.series.some(s => s.data.some(v => v !== null));
  return (
    <Paper
      variant="outlined"
      sx={{ p: 1 }}
      component="figure"
      aria-label={chart.title}
      style={{ margin: 0 }}
    >
      <Typography variant="subtitle2" component="figcaption">
        {chart.title}
        {chart.scale.unit ? ` (${chart.scale.unit})` : ''}
      </Typography>
      {hasData ? (
        <LineChart
          height={200}
          xAxis={[
            {
              data: props.times,
              scaleType: 'time',
              valueFormatter: (d: Date) => d.toLocaleTimeString(),
            },
          ]}
          yAxis={[
            {
              min: 0,
              width: 64,
              valueFormatter: (v: number) => chart.scale.tick(v),
            },
          ]}
          series={chart.series.map(s => ({
            label: s.label,
            data: s.data,
            valueFormatter: chart.scale.value,
            // A single point draws no line: mark it so it shows.
            showMark: s.data.filter(v => v !== null).length === 1,
            connectNulls: true,
          }))}
          margin={{ left: 8, right: 8, top: 8, bottom: 8 }}
        />
      ) : (
        <Typography variant="body2" color="text.secondary" sx={{ py: 2 }}>
          No data points yet.
        </Typography>
      )}
    </Paper>
  );
}

/** Table cells stay on one line (no "Runni ng"); the table scrolls sideways in its container instead. */
const ONE_LINE = {
  '& th, & td': { whiteSpace: 'nowrap' },
} as const;

/** Routing metrics: pool tiles, time series from the backend's history, per-role and per-endpoint tables, the EPP view. */
export function MetricsPanel(props: { metrics: RoutingMetricsResponse }) {
  const m = props.metrics;
  const okEndpoints = m.endpoints.filter(e => e.state === 'ok');
  const ttft = poolLatency(m.endpoints, x => x.ttft);
  const itl = poolLatency(m.endpoints, x => x.itl);
  const e2e = poolLatency(m.endpoints, x => x.e2e);
  const times = m.history.map(h => new Date(h.at));
  const eppMetrics = m.epp.metrics;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <Typography variant="body2" color="text.secondary">
        {plural(m.endpoints.length, 'endpoint')} ({m.pool.reporting} reporting)
        · source {m.source} · collected{' '}
        {new Date(m.collectedAt).toLocaleTimeString()}
        {m.poolName ? ` · pool ${m.poolName}` : ''}
      </Typography>
      {m.endpoints.length > 0 && okEndpoints.length === 0 && (
        <Alert severity="info" role="status">
          <AlertTitle>No routing metrics yet</AlertTitle>
          {[...new Set(m.endpoints.map(e => e.state))]
            .filter((s): s is Exclude<typeof s, 'ok'> => s !== 'ok')
            .map(s => `${s}: ${ENDPOINT_STATE_HELP[s]}`)
            .join(' ')}
        </Alert>
      )}
      {m.endpoints.length === 0 && (
        <Alert severity="info" role="status">
          <AlertTitle>No endpoints</AlertTitle>
          The service has no leader pods yet (or is scaled to zero); endpoints
          are the LeaderWorkerSet leaders the InferencePool selects.
        </Alert>
      )}
      {m.warnings.map((w, i) => (
        <Alert key={i} severity="warning">
          {w}
        </Alert>
      ))}
      {okEndpoints.length > 0 && okEndpoints.length < m.endpoints.length && (
        <Alert severity="info" role="status">
          {Object.entries(
            m.endpoints
              .filter(e => e.state !== 'ok')
              .reduce<Record<string, number>>(
                (acc, e) => ({ ...acc, [e.state]: (acc[e.state] ?? 0) + 1 }),
                {},
              ),
          )
            .map(
              ([state, n]) =>
                `${plural(n, 'endpoint')} ${state}: ${ENDPOINT_STATE_HELP[state as keyof typeof ENDPOINT_STATE_HELP]}`,
            )
            .join(' ')}
        </Alert>
      )}
      <Grid container spacing={1} role="list" aria-label="Pool">
        {[
          ['Requests/s', format.rate(m.pool.requestRate)],
          ['Prompt tokens/s', format.rate(m.pool.promptTokensPerSecond)],
          [
            'Generation tokens/s',
            format.rate(m.pool.generationTokensPerSecond),
          ],
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
      <Grid container spacing={1}>
        {metricsCharts(m).map(chart => (
          <Grid item xs={12} md={6} key={chart.title}>
            <Chart chart={chart} times={times} />
          </Grid>
        ))}
      </Grid>
      {Object.keys(m.roles).length > 1 && (
        <TableContainer>
          <Table size="small" aria-label="Per role" sx={ONE_LINE}>
            <TableHead>
              <TableRow>
                <TableCell>Role</TableCell>
                <TableCell align="right">Endpoints</TableCell>
                <TableCell align="right">Requests/s</TableCell>
                <TableCell align="right">Running</TableCell>
                <TableCell align="right">Waiting</TableCell>
                <TableCell align="right">KV cache</TableCell>
                <TableCell align="right">TTFT p95 (worst)</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {Object.entries(m.roles).map(([role, a]) => (
                <TableRow key={role}>
                  <TableCell>{role}</TableCell>
                  <TableCell align="right">
                    {a.reporting}/{a.endpoints}
                  </TableCell>
                  <TableCell align="right">
                    {format.rate(a.requestRate)}
                  </TableCell>
                  <TableCell align="right">{format.count(a.running)}</TableCell>
                  <TableCell align="right">{format.count(a.waiting)}</TableCell>
                  <TableCell align="right">
                    {format.percent(a.kvCacheUsage)}
                  </TableCell>
                  <TableCell align="right">
                    {format.seconds(a.worstTtftP95)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      <TableContainer>
        <Table size="small" aria-label="Endpoints" sx={ONE_LINE}>
          <TableHead>
            <TableRow>
              <TableCell>Endpoint (leader pod)</TableCell>
              <TableCell>Role</TableCell>
              <TableCell>State</TableCell>
              <TableCell align="right">Running</TableCell>
              <TableCell align="right">Waiting</TableCell>
              <TableCell align="right">KV cache</TableCell>
              <TableCell align="right">Prefix hits</TableCell>
              <TableCell align="right">Requests/s</TableCell>
              <TableCell align="right">TTFT p50/p95</TableCell>
              <TableCell align="right">ITL p50/p95</TableCell>
              <TableCell>LoRA adapters</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {m.endpoints.map(e => {
              const x = e.metrics;
              return (
                <TableRow key={e.pod}>
                  <TableCell>
                    <code>{e.pod}</code>
                  </TableCell>
                  <TableCell>{e.role}</TableCell>
                  <TableCell>
                    <Chip
                      size="small"
                      label={e.state}
                      color={e.state === 'ok' ? 'success' : 'default'}
                      title={
                        e.state === 'ok'
                          ? undefined
                          : `${e.message ? `${e.message}. ` : ''}${ENDPOINT_STATE_HELP[e.state]}`
                      }
                    />
                  </TableCell>
                  <TableCell align="right">
                    {format.count(x?.running)}
                  </TableCell>
                  <TableCell align="right">
                    {format.count(x?.waiting)}
                  </TableCell>
                  <TableCell align="right">
                    {format.percent(x?.kvCacheUsage)}
                  </TableCell>
                  <TableCell align="right">
                    {format.percent(x?.prefixCacheHitRate)}
                  </TableCell>
                  <TableCell align="right">
                    {format.rate(x?.requestRate)}
                  </TableCell>
                  <TableCell align="right">
                    {format.seconds(x?.ttft?.p50)} /{' '}
                    {format.seconds(x?.ttft?.p95)}
                  </TableCell>
                  <TableCell align="right">
                    {format.seconds(x?.itl?.p50)} /{' '}
                    {format.seconds(x?.itl?.p95)}
                  </TableCell>
                  <TableCell>
                    {x?.lora
                      ? `${x.lora.running.join(', ') || 'none'} running${x.lora.waiting.length ? `; ${x.lora.waiting.join(', ')} waiting` : ''}${x.lora.maxLora !== undefined ? ` (max ${x.lora.maxLora})` : ''}`
                      : '—'}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </TableContainer>
      <Box component="section" aria-label="Endpoint picker metrics">
        <Typography variant="subtitle2" component="h4">
          Endpoint picker (gateway view)
        </Typography>
        {m.epp.state === 'ok' && eppMetrics && (
          <Typography variant="body2">
            {format.rate(eppMetrics.requestRate)} requests,{' '}
            {format.rate(eppMetrics.errorRate)} errors · latency p50{' '}
            {format.seconds(eppMetrics.latency?.p50)} / p95{' '}
            {format.seconds(eppMetrics.latency?.p95)} / p99{' '}
            {format.seconds(eppMetrics.latency?.p99)}
            {eppMetrics.prefixIndexerHitRatio !== undefined
              ? ` · prefix index hit ratio ${format.percent(eppMetrics.prefixIndexerHitRatio)}`
              : ''}
            {Object.keys(eppMetrics.disaggDecisions).length
              ? ` · P/D decisions ${Object.entries(eppMetrics.disaggDecisions)
                  .map(([k, v]) => `${k} ${format.count(v)}`)
                  .join(', ')}`
              : ''}
            {eppMetrics.buildRef ? ` · build ${eppMetrics.buildRef}` : ''}
          </Typography>
        )}
        {m.epp.state === 'no-router' && (
          <Typography variant="body2" color="text.secondary">
            No router role, so no endpoint picker.
          </Typography>
        )}
        {m.epp.state !== 'no-router' &&
          !(m.epp.state === 'ok' && eppMetrics) && (
            <Alert severity="info" role="status">
              <AlertTitle>
                Endpoint picker metrics unavailable ({m.epp.state})
              </AlertTitle>
              {m.epp.message ? `${m.epp.message}. ` : ''}
              {EPP_STATE_HELP[m.epp.state] ?? ''}
            </Alert>
          )}
      </Box>
    </Box>
  );
}
