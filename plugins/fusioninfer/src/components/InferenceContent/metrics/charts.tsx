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

/* The time-series charts of the Metrics tab: what each draws from the backend's history, in which unit. */

import Grid from '@mui/material/Grid';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { LineChart } from '@mui/x-charts/LineChart';
import type { RoutingMetricsResponse } from '@fusioninfer/plugin-fusioninfer-common';
import { format } from '../../common';

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

/** The charts of the Metrics tab, two per row on wide screens. */
export function MetricsCharts(props: { metrics: RoutingMetricsResponse }) {
  const m = props.metrics;
  const times = m.history.map(h => new Date(h.at));
  return (
    <Grid container spacing={1}>
      {metricsCharts(m).map(chart => (
        <Grid item xs={12} md={6} key={chart.title}>
          <Chart chart={chart} times={times} />
        </Grid>
      ))}
    </Grid>
  );
}
