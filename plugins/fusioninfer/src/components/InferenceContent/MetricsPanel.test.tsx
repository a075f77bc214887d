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

import { render, screen, within } from '@testing-library/react';
import type { RoutingMetricsResponse } from '@fusioninfer/plugin-fusioninfer-common';
import { fixture } from '../../__testUtils__';
import { format } from '../common';
import { MetricsPanel } from './MetricsPanel';
import { metricsCharts } from './metrics/charts';
import { poolLatency } from './metrics/PoolTiles';

const chart = (m: RoutingMetricsResponse, title: string) => {
  const c = metricsCharts(m).find(x => x.title === title);
  if (!c) throw new Error(`no chart ${title}`);
  return c;
};

/** The text of a pool tile, by its label. */
const tile = (label: string) =>
  within(screen.getByRole('list', { name: 'Pool' }))
    .getByText(label)
    .parentElement!.querySelector(
      '.MuiTypography-h6, [class*="MuiTypography-h6"]',
    )!.textContent;

/** metrics-qwen with every TTFT a few milliseconds, the latest point 9.8 ms (as the dev cluster reports under load). */
function fastTtft(): RoutingMetricsResponse {
  const m = fixture<RoutingMetricsResponse>('metrics-qwen');
  m.history = m.history.map((h, i) => ({
    ...h,
    worstTtftP95: i === m.history.length - 1 ? 0.0098 : 0.004 + i / 1000,
  }));
  const ttft = m.endpoints[0].metrics!.ttft!;
  ttft.p95 = 0.0098;
  ttft.p50 = 0.0061;
  m.pool.worstTtftP95 = 0.0098;
  return m;
}

describe('MetricsPanel charts', () => {
  it('draws time to first token in the unit the tile shows, with axis ticks that read as milliseconds', () => {
    const m = fastTtft();
    const c = chart(m, 'Time to first token, worst p95');
    render(<MetricsPanel metrics={m} />);
    // The tile: "p50 / p95".
    const p95 = tile('TTFT p50 / p95')!.split(' / ')[1];
    expect(p95).toBe('9.8 ms');
    expect(p95).toBe(format.seconds(poolLatency(m.endpoints, x => x.ttft).p95));
    // The chart draws milliseconds: the latest point is 9.8, its tooltip says what the tile says.
    expect(c.scale.unit).toBe('ms');
    const drawn = c.series[0].data;
    expect(drawn.at(-1)).toBe(9.8);
    expect(c.scale.value(drawn.at(-1)!)).toBe(p95);
    // Every point is drawn at the value it has, in ms (not 0.004 on a 0…1 axis).
    expect(drawn.every(v => v !== null && v >= 4 && v <= 10)).toBe(true);
    // Axis ticks of that range carry the unit and never collapse to "0.00".
    expect([0, 2, 4.5, 10].map(c.scale.tick)).toEqual([
      '0 ms',
      '2 ms',
      '4.5 ms',
      '10 ms',
    ]);
    expect(
      screen.getByRole('figure', { name: 'Time to first token, worst p95' }),
    ).toHaveTextContent('Time to first token, worst p95 (ms)');
  });

  it('agrees with the tile for the recorded service', () => {
    const m = fixture<RoutingMetricsResponse>('metrics-qwen');
    render(<MetricsPanel metrics={m} />);
    const c = chart(m, 'Time to first token, worst p95');
    expect(c.scale.value(c.series[0].data.at(-1)!)).toBe(
      tile('TTFT p50 / p95')!.split(' / ')[1],
    );
    expect(c.scale.value(c.series[0].data.at(-1)!)).toBe('57 ms');
  });

  it('switches to seconds when a TTFT reaches a second', () => {
    const m = fixture<RoutingMetricsResponse>('metrics-qwen');
    m.history[0].worstTtftP95 = 2.5;
    const c = chart(m, 'Time to first token, worst p95');
    expect(c.scale.unit).toBe('s');
    expect(c.series[0].data[0]).toBe(2.5);
    expect(c.scale.tick(2.5)).toBe('2.5 s');
    expect(c.scale.value(c.series[0].data.at(-1)!)).toBe('57 ms');
  });

  it('draws KV-cache use as percent, as the tile shows it', () => {
    const m = fixture<RoutingMetricsResponse>('metrics-qwen');
    m.pool.kvCacheUsage = 0.041;
    m.pool.maxKvCacheUsage = 0.041;
    m.history.at(-1)!.endpoints![m.endpoints[0].pod].kvCacheUsage = 0.041;
    render(<MetricsPanel metrics={m} />);
    const c = chart(m, 'KV-cache use per endpoint');
    expect(c.scale.unit).toBe('%');
    const drawn = c.series[0].data;
    expect(drawn.at(-1)).toBe(4.1);
    expect(c.scale.value(drawn.at(-1)!)).toBe('4.1 %');
    expect(tile('KV cache (mean / max)')).toBe('4.1 % / 4.1 %');
    expect(c.scale.tick(4)).toBe('4 %');
    expect(
      screen.getByRole('figure', { name: 'KV-cache use per endpoint' }),
    ).toHaveTextContent('KV-cache use per endpoint (%)');
  });
});

describe('MetricsPanel tables', () => {
  it('keeps the endpoint and role tables on one line per cell and lets them scroll sideways', () => {
    render(<MetricsPanel metrics={fixture('metrics-pd')} />);
    for (const name of ['Endpoints', 'Per role']) {
      const table = screen.getByRole('table', { name });
      for (const header of ['Running', 'Waiting', 'KV cache'])
        expect(
          within(table).getByRole('columnheader', { name: header }),
        ).toHaveStyle({ whiteSpace: 'nowrap' });
      expect(table.parentElement).toHaveStyle({ overflowX: 'auto' });
    }
    const endpoints = screen.getByRole('table', { name: 'Endpoints' });
    expect(
      within(endpoints).getAllByRole('cell', { name: 'decode-servers' })[0],
    ).toHaveStyle({ whiteSpace: 'nowrap' });
  });

  it('counts one endpoint in the singular', () => {
    render(<MetricsPanel metrics={fixture('metrics-qwen')} />);
    expect(screen.getByText(/^1 endpoint \(1 reporting\)/)).toBeInTheDocument();
  });
});
