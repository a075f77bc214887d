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

import { screen, within } from '@testing-library/react';
import {
  BASE,
  entity,
  errorResponse,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import { OverviewCard } from './OverviewCard';

const server = setupMsw();
const SVC = `${BASE}/clusters/dev/namespaces/demo/services/qwen-multi-node`;

describe('OverviewCard', () => {
  it('shows state, ready/desired replicas, GPUs, strategy and TTFT p95 per service', async () => {
    const metrics = fixture('metrics-qwen');
    metrics.pool.worstTtftP95 = 0.25;
    server.use(
      http.get(`${BASE}/entities/Component/default/qwen/services`, () =>
        HttpResponse.json(fixture('entity-services-qwen')),
      ),
      http.get(`${SVC}/children`, () =>
        HttpResponse.json(fixture('children-qwen')),
      ),
      http.get(`${SVC}/metrics`, () => HttpResponse.json(metrics)),
    );
    await renderWithApis(<OverviewCard />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    const table = await screen.findByRole('table', {
      name: 'Inference services',
    });
    const row = within(table).getAllByRole('row')[1];
    expect(row).toHaveTextContent('demo/qwen-multi-node');
    expect(within(row).getByLabelText(/^State: Ready/)).toBeInTheDocument();
    expect(row).toHaveTextContent('1 / 1');
    expect(
      await within(row).findByText(
        String(fixture('children-qwen').summary.totals.gpus),
      ),
    ).toBeInTheDocument();
    expect(row).toHaveTextContent('prefix-cache');
    expect(await within(row).findByText('250 ms')).toBeInTheDocument();
  });

  it('shows empty and error states', async () => {
    server.use(
      http.get(`${BASE}/entities/Component/default/nothing/services`, () =>
        HttpResponse.json(fixture('entity-services-nothing')),
      ),
      http.get(`${BASE}/entities/Component/default/qwen/services`, () =>
        errorResponse('error-forbidden-entity-services'),
      ),
    );
    const { unmount } = await renderWithApis(<OverviewCard />, {
      entity: entity('nothing'),
    });
    expect(
      await screen.findByText('No InferenceService belongs to this entity.'),
    ).toBeInTheDocument();
    unmount();
    await renderWithApis(<OverviewCard />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    expect(await screen.findByText('Permission denied')).toBeInTheDocument();
  });
});
