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

import { screen, waitFor, within } from '@testing-library/react';
import type { Entity } from '@backstage/catalog-model';
import type {
  ServiceDetail,
  ShowbackResponse,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  BASE,
  errorResponse,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
  showbackNotConfigured,
} from '../../__testUtils__';
import { ServiceCostRow } from './ServiceCostRow';
import { TeamShowbackCard } from './TeamShowbackCard';
import { money } from './format';

const server = setupMsw();
const SVC = `${BASE}/clusters/dev/namespaces/demo/services/qwen-multi-node`;
const detail = {
  cluster: 'dev',
  namespace: 'demo',
  name: 'qwen-multi-node',
} as ServiceDetail;
const group: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'llm-apps', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

const row = () => (
  <dl>
    <ServiceCostRow detail={detail} />
  </dl>
);

describe('ServiceCostRow', () => {
  it('shows cost per hour now, this month and projected, per million tokens and idle share', async () => {
    const recorded = fixture('showback-qwen');
    server.use(http.get(`${SVC}/showback`, () => HttpResponse.json(recorded)));
    await renderWithApis(row());
    const cost = await screen.findByLabelText('Cost');
    const s = recorded.service;
    await within(cost).findByText(/\/h now/);
    expect(cost).toHaveTextContent(`${money(s.costPerHourNow, 'USD')}/h now`);
    expect(cost).toHaveTextContent(
      `${money(s.monthToDate.totalCost, 'USD')} this month (projected ${money(s.projectedMonth.totalCost, 'USD')})`,
    );
    expect(cost).toHaveTextContent(
      `${money(s.costPerMillionTokens, 'USD')} per 1M tokens (prompt ${money(s.inputCostPerMillionTokens, 'USD')}, generation ${money(s.outputCostPerMillionTokens, 'USD')})`,
    );
    expect(cost).toHaveTextContent(`idle ${Math.round(s.idleShare * 100)} %`);
    expect(screen.getByText('Cost').tagName).toBe('DT');
  });

  it('is absent when showback is not configured, and says when the cost cannot be read', async () => {
    let asked = 0;
    server.use(
      http.get(`${SVC}/showback`, () => {
        asked++;
        return showbackNotConfigured();
      }),
    );
    const { container, unmount } = await renderWithApis(row());
    // Asked once, answered 503: the row is gone.
    await waitFor(() => {
      expect(asked).toBe(1);
      expect(container.querySelector('dt')).toBeNull();
    });
    unmount();
    server.use(
      http.get(`${SVC}/showback`, () => errorResponse('error-showback-window')),
    );
    await renderWithApis(row());
    expect(await screen.findByLabelText('Cost')).toHaveTextContent(
      'unavailable: from: the window may span at most 45 days',
    );
  });
});

describe('TeamShowbackCard', () => {
  const answer = (change?: (b: ShowbackResponse) => void) => {
    const body = fixture<ShowbackResponse>('showback-team-llm-apps');
    change?.(body);
    let team: string | null = null;
    server.use(
      http.get(`${BASE}/showback`, ({ request }) => {
        team = new URL(request.url).searchParams.get('team');
        return HttpResponse.json(body);
      }),
    );
    return { body, team: () => team };
  };

  it("shows a team's services, its totals and the budget exceeded", async () => {
    const { body, team } = answer();
    await renderWithApis(<TeamShowbackCard />, { entity: group });
    const alert = (await screen.findByText('Budget exceeded')).closest(
      '[role="alert"]',
    )!;
    expect(team()).toBe('group:default/llm-apps');
    const t = body.teams[0];
    expect(alert).toHaveTextContent('Budget exceeded');
    expect(alert).toHaveTextContent(
      `Project llm-apps has spent ${money(t.monthToDate.totalCost, 'USD')}, ${Math.round(t.budget!.spentShare * 100)} % of its monthly budget of ${money(0.05, 'USD')}.`,
    );
    expect(
      screen.getByRole('progressbar', { name: /Budget spent/ }),
    ).toHaveAttribute('aria-valuenow', '100');
    const table = screen.getByRole('table', {
      name: 'Services of group:default/llm-apps',
    });
    const rows = within(table).getAllByRole('row');
    // header, one row per service, total
    expect(rows).toHaveLength(body.services.length + 2);
    const qwen = rows.find(r =>
      r.textContent?.includes('demo/qwen-multi-node'),
    )!;
    const s = body.services.find(x => x.name === 'qwen-multi-node')!;
    expect(qwen).toHaveTextContent(money(s.costPerHourNow, 'USD'));
    expect(qwen).toHaveTextContent(money(s.monthToDate.totalCost, 'USD'));
    const total = rows[rows.length - 1];
    expect(total).toHaveTextContent('Total');
    expect(total).toHaveTextContent(money(t.monthToDate.totalCost, 'USD'));
    expect(screen.getByText(/Costs from the price sheet/)).toBeInTheDocument();
    expect(screen.getByText(/64 GPUs/)).toBeInTheDocument();
  });

  it('warns at 80 % spent and when the month is projected over the budget', async () => {
    answer(b => {
      b.teams[0].budget = {
        ...b.teams[0].budget!,
        spentShare: 0.85,
        status: 'warning',
      };
    });
    const { unmount } = await renderWithApis(<TeamShowbackCard />, {
      entity: group,
    });
    expect(
      (await screen.findByText('80 % of the budget spent')).closest(
        '[role="alert"]',
      ),
    ).toHaveTextContent(/at this rate the month ends at \$15,220\.99/);
    unmount();
    answer(b => {
      b.teams[0].budget = {
        ...b.teams[0].budget!,
        spentShare: 0.1,
        projectedShare: 2,
        status: 'projected-over',
      };
    });
    const second = await renderWithApis(<TeamShowbackCard />, {
      entity: group,
    });
    expect(
      (await screen.findByText('Projected over budget')).closest(
        '[role="alert"]',
      ),
    ).toHaveTextContent('ends at $15,220.99, 200 % of the budget of $0.05');
    second.unmount();
    answer(b => {
      b.teams[0].budget = {
        ...b.teams[0].budget!,
        spentShare: 0.1,
        projectedShare: 0.5,
        status: 'ok',
      };
    });
    await renderWithApis(<TeamShowbackCard />, { entity: group });
    expect(
      await screen.findByText(/of \$0\.05 spent in December 2026 \(10 %\)/),
    ).toBeInTheDocument();
    // Only the recorded answer's unavailable cluster is an alert, no budget warning.
    expect(screen.getAllByRole('alert').map(a => a.textContent)).toEqual([
      'down: cluster down is unavailable',
    ]);
  });

  it('says when the team has no services, no budget, or showback is off', async () => {
    answer(b => {
      b.teams = [];
      b.services = [];
    });
    const { unmount } = await renderWithApis(<TeamShowbackCard />, {
      entity: group,
    });
    expect(
      await screen.findByText(
        /No InferenceService of group:default\/llm-apps has run this month/,
      ),
    ).toBeInTheDocument();
    unmount();
    answer(b => {
      delete b.teams[0].budget;
    });
    const second = await renderWithApis(<TeamShowbackCard />, {
      entity: group,
    });
    expect(
      await screen.findByText(/No monthly budget is set for project llm-apps/),
    ).toBeInTheDocument();
    second.unmount();
    server.use(http.get(`${BASE}/showback`, showbackNotConfigured));
    await renderWithApis(<TeamShowbackCard />, { entity: group });
    expect(
      await screen.findByText(
        'Showback is not configured on this portal (fusioninfer.showback).',
      ),
    ).toBeInTheDocument();
  });
});
