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
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import type { AutoscalingResponse } from '@fusioninfer/plugin-fusioninfer-common';
import {
  BASE,
  entity,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import { AutoscalingPanel } from './AutoscalingPanel';
import { InferenceContent } from './InferenceContent';

jest.setTimeout(30_000);

const server = setupMsw();

/** The recorded answer of the demo's qwen-inference (advisory) under load: 5 waiting against a target of 2. */
const recorded = () => fixture<AutoscalingResponse>('autoscaling-qwen');

describe('AutoscalingPanel', () => {
  it('shows per role the mode, the signal against its target and the recommendation against the actual replicas (recorded)', async () => {
    await renderInTestApp(<AutoscalingPanel autoscaling={recorded()} />);
    const table = screen.getByRole('table', { name: 'Autoscaling by role' });
    const [, row] = within(table).getAllByRole('row');
    const cells = within(row).getAllByRole('cell');
    expect(cells[0]).toHaveTextContent('inference1–4 replicas');
    expect(cells[1]).toHaveTextContent('advisory');
    expect(cells[2]).toHaveTextContent(
      'Requests waiting per replica 5 (target 2)vllm:num_requests_waiting',
    );
    expect(cells[3]).toHaveTextContent('3 recommended ↑ · 1 actual');
    expect(cells[4]).toHaveTextContent('nothing');
    expect(cells[5]).toHaveTextContent(
      'requests waiting per replica 5 against a target of 2: would scale 1 → 3 replicas (advisory: nothing is written)',
    );
    expect(screen.getByText(/Decided .* ago · every 2 s/)).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says what blocks a decision, and links the approval request the autoscaler waits for', async () => {
    const a = recorded();
    const id = 'b5d6c3a2-1f4e-4c8a-9d7b-3e2f1a0b9c8d';
    a.roles[0] = {
      ...a.roles[0],
      mode: 'acting',
      recommendation: 4,
      next: 3,
      blockedBy: [
        {
          reason: 'max',
          message: 'the signal asks for 6 replicas; the maximum is 4',
        },
        {
          reason: 'quota',
          message:
            "the project's GPU quota leaves 2 GPUs: 4 replicas (1 GPUs each) would exceed it; 3 fit",
        },
      ],
      lastAction: {
        at: a.decidedAt!,
        outcome: 'approval-requested',
        message: `inference 1 → 3 needs approval (3 GPUs requested; more than 2 need approval): filed request ${id}`,
        approvalId: id,
      },
    };
    a.approval = { id, status: 'pending', requestedAt: a.decidedAt! };
    await renderInTestApp(<AutoscalingPanel autoscaling={a} />);
    const [, row] = within(
      screen.getByRole('table', { name: 'Autoscaling by role' }),
    ).getAllByRole('row');
    const cells = within(row).getAllByRole('cell');
    expect(cells[3]).toHaveTextContent('4 recommended ↑ · 1 actualsets 3 now');
    expect(cells[4]).toHaveTextContent(
      "maximum: the signal asks for 6 replicas; the maximum is 4quota: the project's GPU quota leaves 2 GPUs",
    );
    expect(
      within(cells[5]).getByRole('link', { name: /filed request/ }),
    ).toHaveAttribute('href', `/fusioninfer/approvals/${id}`);
    expect(
      screen.getByRole('link', { name: `request ${id.slice(0, 8)}` }),
    ).toHaveAttribute('href', `/fusioninfer/approvals/${id}`);
  });

  it('names the problems of a bad annotation, and says when the autoscaler is off', async () => {
    const a = recorded();
    a.issues = [
      {
        path: 'metadata.annotations["fusioninfer.io/autoscaling"].inference.target',
        message: 'must be a number above 0',
      },
    ];
    a.autoscaler = {
      enabled: false,
      intervalSeconds: 15,
      state: 'disabled',
      message:
        'the autoscaler is turned off (fusioninfer.autoscaler.enabled: false): nothing is decided',
    };
    await renderInTestApp(<AutoscalingPanel autoscaling={a} />);
    expect(screen.getByRole('alert')).toHaveTextContent(
      'metadata.annotations["fusioninfer.io/autoscaling"].inference.target: must be a number above 0',
    );
    expect(screen.getByRole('status')).toHaveTextContent(
      'the autoscaler is turned off',
    );
  });

  it('explains how to opt in when the service has no policy (recorded)', async () => {
    await renderInTestApp(
      <AutoscalingPanel autoscaling={fixture('autoscaling-none')} />,
    );
    expect(screen.getByText(/^Not autoscaled\./)).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('is a section of the Inference tab, read only while it is open', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/entities/Component/default/qwen/services`, () =>
        HttpResponse.json(fixture('entity-services-qwen')),
      ),
      http.get(
        `${BASE}/clusters/dev/namespaces/demo/services/:name/children`,
        () => HttpResponse.json(fixture('children-qwen')),
      ),
      http.get(
        `${BASE}/clusters/dev/namespaces/demo/services/qwen-multi-node/autoscaling`,
        () => {
          calls++;
          return HttpResponse.json(fixture('autoscaling-none'));
        },
      ),
    );
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    const tab = await screen.findByRole('tab', { name: 'Autoscaling' });
    expect(calls).toBe(0);
    await userEvent.click(tab);
    const panel = screen.getByRole('tabpanel', { name: 'Autoscaling' });
    expect(
      await within(panel).findByText(/^Not autoscaled\./),
    ).toBeInTheDocument();
    expect(calls).toBeGreaterThanOrEqual(1);
  });
});
