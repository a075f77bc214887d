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
import type { ServiceDetail } from '@fusioninfer/plugin-fusioninfer-common';
import { fixture } from '../../__testUtils__';
import { StatusTree } from './StatusTree';

const service = (name: string): ServiceDetail => fixture(name).items[0].service;

function renderTree(detail: ServiceDetail) {
  return render(
    <StatusTree detail={detail} expanded={{}} onToggle={() => {}} />,
  );
}

/** "a/N pod(s) ready" of every role card, as [ready, total]. */
function podCounts(): Array<[number, number]> {
  return screen
    .getAllByRole('region', { name: /^Role / })
    .map(r => /(\d+)\/(\d+) pods? ready/.exec(r.textContent ?? ''))
    .map(m => [Number(m![1]), Number(m![2])]);
}

describe('StatusTree', () => {
  it('lists the router (endpoint picker) as a role with its pod and readiness, so the roles add up to the header', () => {
    const d = service('entity-services-qwen');
    renderTree(d);
    const router = screen.getByRole('region', { name: 'Role router' });
    expect(
      within(router).getByRole('heading', { name: 'router' }),
    ).toBeInTheDocument();
    expect(router).toHaveTextContent('endpoint picker');
    expect(router).toHaveTextContent('1/1 pod ready');
    expect(router).toHaveTextContent('qwen-multi-node-epp');
    expect(router).toHaveTextContent(d.router!.epp!.image!);
    // The router comes first: requests reach the workers through it.
    expect(
      screen
        .getAllByRole('region', { name: /^Role / })
        .map(r => r.getAttribute('aria-label')),
    ).toEqual(['Role router', 'Role inference']);
    // The header counts pods from the render summary (router 1 + 2 workers): the tree shows the same pods.
    const summary = fixture('children-qwen').summary;
    const counts = podCounts();
    expect(counts.reduce((s, [, total]) => s + total, 0)).toBe(
      summary.totals.pods,
    );
    expect(counts.reduce((s, [ready]) => s + ready, 0)).toBe(
      summary.totals.pods,
    );
  });

  it('shows the router beside prefill and decode for a P/D service', () => {
    const d = service('entity-services-pd');
    renderTree(d);
    expect(
      screen.getByRole('region', { name: 'Role router' }),
    ).toHaveTextContent('1/1 pod ready');
    expect(podCounts().reduce((s, [, total]) => s + total, 0)).toBe(
      fixture('children-pd').summary.totals.pods,
    );
  });

  it("shows an endpoint picker that is not ready, with its failing pod's reason", () => {
    const d = service('entity-services-qwen');
    d.router!.epp!.ready = false;
    d.router!.epp!.problems = [
      {
        pod: 'qwen-multi-node-epp-7d9f8-abcde',
        reason: 'CrashLoopBackOff',
        message: 'back-off 5m0s restarting failed container',
      },
    ];
    d.status.components!.router = {
      ...d.status.components!.router,
      readyPods: 0,
      readyReplicas: 0,
    };
    renderTree(d);
    const router = screen.getByRole('region', { name: 'Role router' });
    expect(router).toHaveTextContent('0/1 pod ready');
    expect(within(router).getAllByText('CrashLoopBackOff').length).toBe(2);
    expect(
      within(router).getByText('qwen-multi-node-epp-7d9f8-abcde'),
    ).toBeInTheDocument();
    expect(router).toHaveTextContent(
      'back-off 5m0s restarting failed container',
    );
  });

  it('says when the endpoint picker does not exist yet', () => {
    const d = service('entity-services-qwen');
    delete d.router!.epp;
    delete d.status.components!.router;
    renderTree(d);
    const router = screen.getByRole('region', { name: 'Role router' });
    expect(router).toHaveTextContent('0/1 pod ready');
    expect(router).toHaveTextContent(/not created yet/);
  });

  it('trusts the live Deployment over a controller status that lags (Stale)', () => {
    const d = service('entity-services-qwen-stale');
    expect(d.status.components!.router.readyPods).toBe(0);
    expect(d.router!.epp!.ready).toBe(true);
    renderTree(d);
    expect(
      screen.getByRole('region', { name: 'Role router' }),
    ).toHaveTextContent('1/1 pod ready');
  });

  it('shows no router role for a service without one', () => {
    renderTree(service('entity-services-wide'));
    expect(
      screen.queryByRole('region', { name: 'Role router' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByRole('region', { name: 'Role inference' }),
    ).toBeInTheDocument();
  });
});
