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

import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
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
import { InferenceContent } from './InferenceContent';

jest.setTimeout(30_000);

const server = setupMsw();
const QWEN = `${BASE}/clusters/dev/namespaces/demo/services/qwen-multi-node`;

function serve(entityName: string, fixtureName: string) {
  let calls = 0;
  server.use(
    http.get(
      `${BASE}/entities/Component/default/${entityName}/services`,
      () => {
        calls++;
        return HttpResponse.json(fixture(fixtureName));
      },
    ),
    http.get(
      `${BASE}/clusters/dev/namespaces/demo/services/:name/children`,
      ({ params }) =>
        HttpResponse.json(
          fixture(
            (
              {
                'qwen-gang-stuck': 'children-gang',
                'disaggregated-llm-service': 'children-pd',
              } as Record<string, string>
            )[String(params.name)] ?? 'children-qwen',
          ),
        ),
    ),
  );
  return { calls: () => calls };
}

describe('InferenceContent', () => {
  it('shows a ready multi-node service: header, one group per replica with leader and worker', async () => {
    serve('qwen', 'entity-services-qwen');
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    expect(
      await screen.findByRole('heading', {
        name: 'dev / demo / qwen-multi-node',
      }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText(/^State: Ready/)).toBeInTheDocument();
    expect(screen.getByText('prefix-cache')).toBeInTheDocument();
    const group = screen.getByRole('group', { name: 'inference replica 0' });
    expect(
      within(group).getByText(/one group of 2 pods \(1 leader \+ 1 worker\)/),
    ).toBeInTheDocument();
    expect(
      within(group).getByText('qwen-multi-node-inference-0-0'),
    ).toBeInTheDocument();
    expect(
      within(group).getByText('qwen-multi-node-inference-0-0-1'),
    ).toBeInTheDocument();
    expect(within(group).getByText('2/2 pods ready')).toBeInTheDocument();
    // The gang runs: no scheduling error.
    const gang = screen.getByRole('region', { name: 'Gang scheduling' });
    expect(within(gang).getByText('Running')).toBeInTheDocument();
    expect(within(gang).queryByRole('alert')).not.toBeInTheDocument();
    // The recorder configured a second cluster that is down: reported, never blanking the service.
    expect(screen.getByRole('alert')).toHaveTextContent(/Cluster down/);
    // Endpoint from the HTTPRoute (rendered children).
    expect(
      await screen.findByText(/gateway inference-gateway/),
    ).toBeInTheDocument();
  });

  it('loads the metrics tab on demand, and the routing tab with the EPP configuration', async () => {
    serve('qwen', 'entity-services-qwen');
    server.use(
      http.get(`${QWEN}/metrics`, () =>
        HttpResponse.json(fixture('metrics-qwen')),
      ),
    );
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    await userEvent.click(await screen.findByRole('tab', { name: 'Metrics' }));
    expect(
      await screen.findByRole('figure', { name: 'Requests per second' }),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: 'Routing' }));
    expect(
      await screen.findByRole('table', { name: 'Endpoint picker plugins' }),
    ).toBeInTheDocument();
  });

  it('runs the pre-flight of the service when its tab opens: verdict, GPU budget, KV cache, placement', async () => {
    serve('gang', 'entity-services-gang');
    const asked: string[] = [];
    server.use(
      http.get(
        `${BASE}/clusters/dev/namespaces/demo/services/:name/preflight`,
        ({ params }) => {
          asked.push(String(params.name));
          return HttpResponse.json(fixture('preflight-gang'));
        },
      ),
    );
    await renderWithApis(<InferenceContent />, {
      entity: entity('gang', 'dev/demo/qwen-gang-stuck'),
    });
    await screen.findByRole('heading', {
      name: 'dev / demo / qwen-gang-stuck',
    });
    // Not asked before its tab opens.
    expect(asked).toEqual([]);
    await userEvent.click(screen.getByRole('tab', { name: 'Pre-flight' }));
    const panel = screen.getByRole('tabpanel', { name: 'Pre-flight' });
    const preflight = await within(panel).findByRole('region', {
      name: 'Pre-flight',
    });
    expect(asked).toEqual(['qwen-gang-stuck']);
    expect(preflight).toHaveTextContent(
      "This service's spec on cluster dev as it is now",
    );
    // Recorded: vLLM itself would start (Qwen3-8B, TP 2) but the gang of 5 pods × 8 GPUs does not fit 4 × 8.
    expect(
      within(preflight).getByLabelText('Pre-flight verdict: starts'),
    ).toBeInTheDocument();
    expect(
      within(preflight).getByRole('region', {
        name: 'inference (worker, 40 GPUs per replica)',
      }),
    ).toHaveTextContent(
      'KV cache850,832 tokens (73,728 bytes per token per GPU); 20.77 requests of 40,960 tokens at once',
    );
    expect(
      within(preflight).getByRole('status', { name: 'Placement' }),
    ).toHaveTextContent(
      'Does not fit: the gang of 5 pods must start together and only 3 can be placed now',
    );
  });

  it('says in one sentence why a gang cannot start, with the scheduler events', async () => {
    serve('gang', 'entity-services-gang');
    await renderWithApis(<InferenceContent />, {
      entity: entity('gang', 'dev/demo/qwen-gang-stuck'),
    });
    const alert = await screen.findByText(
      /inference-0 cannot start: it needs 40 GPUs on 5 nodes \(8 per pod\) at the same time, and the scheduler reports "0\/4 nodes are available: 4 Insufficient nvidia.com\/gpu"/,
    );
    expect(alert).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Gang tasks' })).toHaveTextContent(
      '0 / 5',
    );
    expect(screen.getAllByText(/Unschedulable/).length).toBeGreaterThan(0);
  });

  it('keeps a big service readable: collapsed roles with one square per replica; what the user opens stays open across refreshes', async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const s = serve('wide', 'entity-services-wide');
      await renderWithApis(<InferenceContent />, {
        entity: entity('wide', 'dev/demo/wide-cpu'),
      });
      const expand = await screen.findByRole('button', {
        name: 'Expand role inference',
      });
      expect(expand).toHaveAttribute('aria-expanded', 'false');
      expect(
        screen.queryByRole('group', { name: 'inference replica 0' }),
      ).not.toBeInTheDocument();
      expect(
        screen.getByText(
          /32\/32 replicas ready · 64\/64 pods ready · 2 nodes per replica/,
        ),
      ).toBeInTheDocument();
      // No router is a design choice, not a fault: said plainly, never as a missing gateway.
      expect(
        screen.getByText(
          /^none: this service has no router, so no Gateway, HTTPRoute or endpoint picker by design/,
        ),
      ).toBeInTheDocument();
      expect(
        screen.queryByText(/no gateway reported/i),
      ).not.toBeInTheDocument();
      await userEvent.click(expand);
      expect(
        screen.getByRole('group', { name: 'inference replica 0' }),
      ).toBeInTheDocument();
      const before = s.calls();
      await act(async () => {
        jest.advanceTimersByTime(15_000);
      });
      await waitFor(() => expect(s.calls()).toBeGreaterThan(before));
      expect(
        screen.getByRole('button', { name: 'Collapse role inference' }),
      ).toHaveAttribute('aria-expanded', 'true');
      expect(
        screen.getByRole('group', { name: 'inference replica 31' }),
      ).toBeInTheDocument();
    } finally {
      jest.useRealTimers();
    }
  });

  it('shows prefill and decode side by side', async () => {
    serve('pd', 'entity-services-pd');
    await renderWithApis(<InferenceContent />, {
      entity: entity('pd', 'dev/demo/disaggregated-llm-service'),
    });
    expect(
      await screen.findByRole('heading', { name: 'Prefill' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Decode' })).toBeInTheDocument();
    expect(
      screen.getByRole('region', { name: 'Role prefill-servers' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('region', { name: 'Role decode-servers' }),
    ).toBeInTheDocument();
    // Side by side, the pod tables keep their headers on one line (and scroll sideways if narrow).
    const pods = within(
      screen.getByRole('region', { name: 'Role prefill-servers' }),
    ).getAllByRole('table', { name: 'Pods' })[0];
    expect(
      within(pods).getByRole('columnheader', { name: 'In group' }),
    ).toHaveStyle({ whiteSpace: 'nowrap' });
    // Counts of one are singular: a one-pod replica is "1/1 pod ready", never "1 pods".
    expect(
      within(
        screen.getByRole('region', { name: 'Role prefill-servers' }),
      ).getAllByText('1/1 pod ready').length,
    ).toBe(2);
    expect(
      screen.queryByText(/\b1 (GPUs|pods|replicas|nodes)\b/),
    ).not.toBeInTheDocument();
  });

  it('marks a status that lags the spec as Stale', async () => {
    serve('qwen', 'entity-services-qwen-stale');
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    expect(await screen.findByLabelText(/^State: Stale/)).toBeInTheDocument();
    const d = fixture('entity-services-qwen-stale').items[0].service;
    expect(
      screen.getAllByText(
        `The status describes generation ${d.status.observedGeneration}; the spec is at generation ${d.generation} and the controller has not reported on it yet`,
      ).length,
    ).toBeGreaterThan(0);
  });

  it('shows an empty state for an entity without services, and broken links as warnings', async () => {
    serve('nothing', 'entity-services-nothing');
    const { unmount } = await renderWithApis(<InferenceContent />, {
      entity: entity('nothing'),
    });
    expect(
      await screen.findByText('No InferenceService for this entity'),
    ).toBeInTheDocument();
    unmount();
    serve('broken', 'entity-services-broken');
    await renderWithApis(<InferenceContent />, {
      entity: entity('broken', 'dev/demo/does-not-exist, not a ref'),
    });
    expect(
      await screen.findByText(
        /"not a ref" is not <cluster>\/<namespace>\/<name>/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('dev/demo/does-not-exist')).toBeInTheDocument();
  });

  it('explains a permission denial instead of failing', async () => {
    server.use(
      http.get(`${BASE}/entities/Component/default/qwen/services`, () =>
        errorResponse('error-forbidden-entity-services'),
      ),
    );
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    expect(await screen.findByText('Permission denied')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      'fusioninfer.service.read',
    );
  });

  it('hides actions the policy denies', async () => {
    // Another entity: permission decisions are cached per resource for the session.
    serve('qwen-denied', 'entity-services-qwen');
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen-denied', 'dev/demo/qwen-multi-node'),
      allow: false,
    });
    await screen.findByRole('heading', {
      name: 'dev / demo / qwen-multi-node',
    });
    expect(
      screen.queryByRole('button', { name: 'Scale' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Delete' }),
    ).not.toBeInTheDocument();
  });

  it("asks for permissions on the service's own entity and shows its age from createdAt", async () => {
    const body = fixture('entity-services-qwen');
    body.items[0].service.entityRef = 'component:team-b/qwen-owner';
    body.items[0].service.createdAt = new Date(
      Date.now() - 3 * 3600_000,
    ).toISOString();
    serve('qwen-shown', 'entity-services-qwen');
    server.use(
      http.get(`${BASE}/entities/Component/default/qwen-shown/services`, () =>
        HttpResponse.json(body),
      ),
    );
    const refs: Array<string | undefined> = [];
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen-shown', 'dev/demo/qwen-multi-node'),
      allow: (_permission, resourceRef) => {
        refs.push(resourceRef);
        return resourceRef === 'component:team-b/qwen-owner';
      },
    });
    expect(
      await screen.findByRole('button', { name: 'Scale' }),
    ).toBeInTheDocument();
    expect(refs).not.toContain('component:default/qwen-shown');
    expect(screen.getByText(/^3h/)).toBeInTheDocument();
  });

  it('scales a role after confirmation and shows it converging until the new replica is ready', async () => {
    const s = { scaled: false };
    server.use(
      http.get(`${BASE}/entities/Component/default/qwen/services`, () =>
        HttpResponse.json(
          fixture(
            s.scaled ? 'entity-services-qwen-scaled' : 'entity-services-qwen',
          ),
        ),
      ),
      http.get(
        `${BASE}/clusters/dev/namespaces/demo/services/:name/children`,
        () => HttpResponse.json(fixture('children-qwen')),
      ),
      http.post(`${QWEN}/scale`, async ({ request }) => {
        expect(await request.json()).toEqual({
          role: 'inference',
          replicas: 2,
        });
        s.scaled = true;
        return HttpResponse.json(fixture('scale-qwen'));
      }),
    );
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Scale' }));
    const dialog = screen.getByRole('dialog');
    const input = within(dialog).getByLabelText('Replicas');
    fireEvent.change(input, { target: { value: '2' } });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Scale inference to 2' }),
    );
    expect(
      await screen.findByText(
        /Scaled inference to 2 replicas: all ready/,
        undefined,
        { timeout: 8000 },
      ),
    ).toBeInTheDocument();
    // The recorded entity also owns the service an approval created (backstage.io/entity-ref), so scope to ours.
    const ours = screen.getByRole('article', {
      name: 'dev / demo / qwen-multi-node',
    });
    expect(
      within(ours).getByRole('group', { name: 'inference replica 1' }),
    ).toBeInTheDocument();
  });

  it('reports a refused scale in the dialog', async () => {
    serve('qwen', 'entity-services-qwen');
    server.use(
      http.post(`${QWEN}/scale`, () => errorResponse('error-forbidden-scale')),
    );
    await renderWithApis(<InferenceContent />, {
      entity: entity('qwen', 'dev/demo/qwen-multi-node'),
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Scale' }));
    const dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Replicas'), {
      target: { value: '3' },
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Scale inference to 3' }),
    );
    expect(
      await within(dialog).findByText(
        /not allowed: fusioninfer.service.update/,
      ),
    ).toBeInTheDocument();
  });
});
