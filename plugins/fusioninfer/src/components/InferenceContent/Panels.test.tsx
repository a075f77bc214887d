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
import userEvent from '@testing-library/user-event';
import { fixture } from '../../__testUtils__';
import { DriftPanel } from './DriftPanel';
import { EventsPanel } from './EventsPanel';
import { MetricsPanel } from './MetricsPanel';
import { RoutingPanel } from './RoutingPanel';

const qwen = () => fixture('entity-services-qwen').items[0].service;
const pd = () => fixture('entity-services-pd').items[0].service;

describe('RoutingPanel', () => {
  it('shows Gateway → HTTPRoute → InferencePool → EPP, the EPP configuration in effect and refused EPP metrics', () => {
    render(
      <RoutingPanel
        detail={qwen()}
        children={fixture('children-qwen')}
        metrics={fixture('metrics-qwen')}
      />,
    );
    const chain = screen.getByRole('list', { name: 'Routing chain' });
    expect(
      within(chain).getByRole('region', { name: 'Gateway' }),
    ).toHaveTextContent('inference-gateway');
    expect(
      within(chain).getByRole('region', { name: 'HTTPRoute' }),
    ).toHaveTextContent('qwen-multi-node-httproute');
    expect(
      within(chain).getByRole('region', { name: 'InferencePool' }),
    ).toHaveTextContent('qwen-multi-node-pool');
    expect(
      within(chain).getByRole('region', { name: 'Endpoint picker' }),
    ).toHaveTextContent('ready');
    const plugins = screen.getByRole('table', {
      name: 'Endpoint picker plugins',
    });
    expect(plugins).toHaveTextContent('prefix-cache-scorer');
    expect(screen.getByText(/refused the metrics scrape/)).toBeInTheDocument();
  });

  it('says when a service has no router', () => {
    render(
      <RoutingPanel
        detail={fixture('entity-services-wide').items[0].service}
      />,
    );
    expect(screen.getByText(/No router role/)).toBeInTheDocument();
  });

  it('lists P/D decode and prefill plugins for a P/D service', () => {
    render(
      <RoutingPanel
        detail={pd()}
        children={fixture('children-pd')}
        metrics={fixture('metrics-pd')}
      />,
    );
    expect(
      screen.getByRole('table', { name: 'Endpoint picker plugins' }),
    ).toHaveTextContent(/prefill/);
  });
});

describe('MetricsPanel', () => {
  it('shows pool tiles, charts, and per-endpoint numbers with the KV-cache metric the servers expose', () => {
    render(<MetricsPanel metrics={fixture('metrics-qwen')} />);
    expect(screen.getByRole('list', { name: 'Pool' })).toHaveTextContent(
      'Requests/s',
    );
    expect(
      screen.getByRole('figure', { name: 'Requests per second' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('figure', { name: 'KV-cache use per endpoint' }),
    ).toBeInTheDocument();
    const endpoints = screen.getByRole('table', { name: 'Endpoints' });
    expect(endpoints).toHaveTextContent('qwen-multi-node-inference-0-0');
    expect(
      screen.getByText(
        /Endpoint picker metrics unavailable \(unavailable-auth\)/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/disableMetricsAuth: true/, { selector: 'div' }),
    ).toBeInTheDocument();
  });

  it('tells why endpoints have no numbers and what to do', () => {
    // Recorded while the 64-replica service was still starting (an earlier run of dev/record-fixtures.ts): some
    // leaders did not answer through the pod proxy yet.
    const m = fixture('metrics-wide-starting');
    expect(m.endpoints.some((e: any) => e.state !== 'ok')).toBe(true);
    render(<MetricsPanel metrics={m} />);
    const unreachable = m.endpoints.filter(
      (e: any) => e.state === 'unreachable',
    ).length;
    expect(
      screen.getByText(
        new RegExp(
          `${unreachable} endpoints? unreachable: .*get on pods/proxy`,
        ),
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No router role, so no endpoint picker.'),
    ).toBeInTheDocument();
  });
});

describe('DriftPanel', () => {
  it('shows an in-sync service and the rendered YAML with a copy button', async () => {
    const writeText = jest.fn().mockResolvedValue(undefined);
    Object.assign(navigator, { clipboard: { writeText } });
    render(
      <DriftPanel
        diff={fixture('diff-qwen')}
        children={fixture('children-qwen')}
      />,
    );
    expect(screen.getByText('Every child is in sync')).toBeInTheDocument();
    expect(screen.getByLabelText('Rendered YAML')).toHaveTextContent(
      'kind: LeaderWorkerSet',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Copy YAML' }));
    expect(writeText).toHaveBeenCalledWith(
      expect.stringContaining('kind: InferencePool'),
    );
    expect(screen.getByRole('button', { name: 'Copied' })).toBeInTheDocument();
  });

  it('shows drifted children with the field paths, rendered and live values', async () => {
    render(
      <DriftPanel
        diff={fixture('diff-qwen-drifted')}
        children={fixture('children-qwen')}
      />,
    );
    expect(
      screen.getByText('The cluster differs from the rendered spec'),
    ).toBeInTheDocument();
    const drifted = screen.getAllByText('drifted');
    expect(drifted.length).toBeGreaterThan(0);
    await userEvent.click(
      screen.getAllByRole('button', { name: /Show \d+ field/ })[0],
    );
    expect(screen.getAllByText('.spec.minMember').length).toBeGreaterThan(0);
  });

  it('counts one field and one child in the singular', () => {
    const diff = fixture('diff-qwen-drifted');
    diff.diff.children[0].changes.splice(1);
    const children = fixture('children-qwen');
    children.children.splice(1);
    render(<DriftPanel diff={diff} children={children} />);
    expect(
      screen.getByRole('button', { name: 'Show 1 field' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Rendered YAML (1 child)')).toBeInTheDocument();
  });
});

describe('EventsPanel', () => {
  it('lists recent events, and says when there are none', () => {
    const { unmount } = render(<EventsPanel events={qwen().events} />);
    expect(screen.getByRole('table', { name: 'Events' })).toBeInTheDocument();
    unmount();
    render(<EventsPanel events={[]} />);
    expect(screen.getByText(/No recent events/)).toBeInTheDocument();
  });
});
