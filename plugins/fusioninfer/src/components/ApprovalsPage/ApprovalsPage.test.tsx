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
import userEvent from '@testing-library/user-event';
import {
  BASE,
  errorResponse,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import { ApprovalsPage } from './ApprovalsPage';

const server = setupMsw();
const pending = fixture('approval-pending');
const ALICE = pending.requestedBy;

function serve(approval = pending) {
  const decisions: unknown[] = [];
  server.use(
    http.get(`${BASE}/approvals`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      if (q.get('requestedBy'))
        return HttpResponse.json(fixture('approvals-mine'));
      if (q.get('status') === 'pending')
        return HttpResponse.json(
          fixture(q.get('cluster') ? 'approvals-empty' : 'approvals-pending'),
        );
      return HttpResponse.json(fixture('approvals-decided'));
    }),
    http.get(`${BASE}/approvals/:id`, () => HttpResponse.json(approval)),
    http.get(`${BASE}/clusters/dev/namespaces/demo/services/:name`, () =>
      errorResponse('service-missing-for-approval'),
    ),
    http.post(`${BASE}/approvals/:id/decision`, async ({ request }) => {
      decisions.push(await request.json());
      return HttpResponse.json({ ...pending, status: 'approved' });
    }),
  );
  return decisions;
}

describe('ApprovalsPage', () => {
  it('lists pending requests and opens one with its reasons, summary, changes, manifest and links', async () => {
    serve();
    await renderWithApis(<ApprovalsPage />, { user: 'user:default/bob' });
    const open = await screen.findByRole('button', {
      name: /Open request create dev\/demo\/qwen-big/,
    });
    await userEvent.click(open);
    const detail = await screen.findByRole('region', {
      name: `Approval request ${pending.id}`,
    });
    expect(
      within(detail).getByText(/GPUs requested; more than 8 need approval/),
    ).toBeInTheDocument();
    // Beside the detail, the list's headers and actions stay on one line (no "Request ed by", "sca le").
    const requests = screen.getByRole('table', { name: 'Requests' });
    for (const name of ['Requested by', 'GPUs / pods', 'Action'])
      expect(within(requests).getByRole('columnheader', { name })).toHaveStyle({
        whiteSpace: 'nowrap',
      });
    expect(within(requests).getAllByText('create')[0]).toHaveStyle({
      whiteSpace: 'nowrap',
    });
    expect(
      within(detail).getByRole('table', { name: 'GPU and pod summary' }),
    ).toBeInTheDocument();
    expect(
      await within(detail).findByText('Creates a new service'),
    ).toBeInTheDocument();
    expect(
      within(detail).getByLabelText('Requested manifest'),
    ).toHaveTextContent('qwen-big');
    expect(
      within(detail).getByRole('link', { name: /Scaffolder task/ }),
    ).toHaveAttribute('href', `/create/tasks/${pending.taskId}`);
  });

  it('lets another person approve with a comment after confirming', async () => {
    const decisions = serve();
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${pending.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${pending.id}`,
    });
    await userEvent.type(
      within(detail).getByLabelText('Comment (optional)'),
      'fits the budget',
    );
    await userEvent.click(
      within(detail).getByRole('button', { name: 'Approve' }),
    );
    await userEvent.click(
      within(screen.getByRole('dialog')).getByRole('button', {
        name: 'Approve',
      }),
    );
    await waitFor(() =>
      expect(decisions).toEqual([
        { approve: true, comment: 'fits the budget' },
      ]),
    );
  });

  it('lets an approver run a failed execution again', async () => {
    const failed = {
      ...pending,
      status: 'approved',
      decidedBy: 'user:default/bob',
      execution: {
        state: 'failed',
        at: pending.requestedAt,
        message: 'cluster dev is unavailable',
      },
    };
    serve(failed as typeof pending);
    const retried: string[] = [];
    server.use(
      http.post(`${BASE}/approvals/:id/retry`, ({ params }) => {
        retried.push(String(params.id));
        return HttpResponse.json({
          ...failed,
          execution: { state: 'applied', at: pending.requestedAt },
        });
      }),
    );
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${pending.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${pending.id}`,
    });
    expect(detail).toHaveTextContent(
      'Applying the approved manifest failed: cluster dev is unavailable',
    );
    await userEvent.click(
      within(detail).getByRole('button', { name: 'Run again' }),
    );
    await userEvent.click(
      within(screen.getByRole('dialog')).getByRole('button', {
        name: 'Run again',
      }),
    );
    await waitFor(() => expect(retried).toEqual([pending.id]));
  });

  it('does not ask for the live service of a pending request for a new service (it cannot exist yet)', async () => {
    const asked: string[] = [];
    serve({ ...pending, action: 'create' });
    server.use(
      http.get(
        `${BASE}/clusters/:cluster/namespaces/:ns/services/:name`,
        ({ params }) => {
          asked.push(String(params.name));
          return errorResponse('service-missing-for-approval');
        },
      ),
    );
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${pending.id}`],
    });
    await screen.findByRole('region', {
      name: `Approval request ${pending.id}`,
    });
    expect(asked).toEqual([]);
  });

  it('shows the pre-flight of a pending request on the cluster as it is now, and none once decided', async () => {
    serve();
    const view = await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${pending.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${pending.id}`,
    });
    const preflight = within(detail).getByRole('region', {
      name: 'Pre-flight',
    });
    expect(preflight).toHaveTextContent('Checked now on cluster dev');
    // Recorded: Qwen3-8B with TP 2 in pods of 4 H100s, 2 replicas of 2 pods.
    expect(
      within(preflight).getByRole('status', { name: 'inference: vLLM starts' }),
    ).toHaveTextContent(
      '850,832 tokens of KV cache per replica: 20.77 requests of 40,960 tokens at once.',
    );
    expect(
      within(preflight).getByRole('list', { name: 'Findings of inference' }),
    ).toHaveTextContent(
      'warning: vLLM uses 2 of the 8 GPUs of a replica (TP 2 × PP 1); 6 stay idle',
    );
    expect(
      within(preflight).getByRole('status', { name: 'Placement' }),
    ).toHaveTextContent(
      'Fits: 4 pods with 16 GPUs, the gang of 4 together (30 of 32 GPUs free on 4 nodes)',
    );
    view.unmount();

    // Decided: what the cluster looks like now no longer decides anything.
    const decided = {
      ...pending,
      id: '00000000-0000-4000-8000-000000000002',
      status: 'rejected',
    };
    serve(decided);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${decided.id}`],
    });
    const done = await screen.findByRole('region', {
      name: `Approval request ${decided.id}`,
    });
    expect(within(done).getByText('Why approval is needed')).toBeVisible();
    expect(
      within(done).queryByRole('region', { name: 'Pre-flight' }),
    ).not.toBeInTheDocument();
  });

  it('never lets requesters decide their own request, and says why the button is disabled', async () => {
    serve();
    await renderWithApis(<ApprovalsPage />, {
      user: ALICE,
      routeEntries: [`/approvals/${pending.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${pending.id}`,
    });
    const approve = within(detail).getByRole('button', { name: 'Approve' });
    await waitFor(() => expect(approve).toBeDisabled());
    expect(approve).toHaveAccessibleDescription(
      /You requested this deployment; another person must decide it/,
    );
    expect(
      within(detail).getByRole('button', { name: 'Cancel my request' }),
    ).toBeEnabled();
  });

  it('hides the decision from people the policy does not allow', async () => {
    // Another request id: permission decisions are cached per resource for the session.
    const other = { ...pending, id: '00000000-0000-4000-8000-000000000001' };
    serve(other);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/carol',
      allow: p => p !== 'fusioninfer.approval.decide',
      routeEntries: [`/approvals/${other.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${other.id}`,
    });
    expect(
      await within(detail).findByText(/does not let you decide this request/),
    ).toBeInTheDocument();
    expect(
      within(detail).queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
  });

  it('shows decided and own requests, filters, and an empty state', async () => {
    serve();
    await renderWithApis(<ApprovalsPage />, { user: ALICE });
    await screen.findByRole('button', { name: /Open request/ });
    await userEvent.click(screen.getByRole('tab', { name: 'Decided' }));
    expect(await screen.findAllByText('rejected')).not.toHaveLength(0);
    await userEvent.click(screen.getByRole('tab', { name: 'Mine' }));
    expect(await screen.findAllByText(/\(you\)/)).not.toHaveLength(0);
    await userEvent.click(screen.getByRole('tab', { name: 'Pending' }));
    await userEvent.type(screen.getByLabelText('Cluster'), 'nope{enter}');
    expect(
      await screen.findByText('Nothing waits for approval'),
    ).toBeInTheDocument();
  });

  it("shows the policy's verdict: project, owner, GPU quota before → after, pod security", async () => {
    serve();
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${pending.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${pending.id}`,
    });
    const verdict = within(detail).getByRole('list', {
      name: 'Policy verdict',
    });
    const { project, quota, podSecurity } = pending.policy;
    expect(verdict).toHaveTextContent(`Project ${project}`);
    expect(
      within(verdict).getByRole('link', { name: /llm-apps/ }),
    ).toHaveAttribute('href', '/catalog/default/group/llm-apps');
    // Recorded: llm-apps holds 42 GPUs in dev, the request adds 16, the quota is 64.
    expect(verdict).toHaveTextContent(
      `${project}: ${quota.before} → ${quota.after} of ${quota.limit} GPUs in ${quota.cluster}`,
    );
    expect(verdict).toHaveTextContent('llm-apps: 42 → 58 of 64 GPUs in dev');
    expect(
      within(verdict).getByRole('progressbar', {
        name: 'GPU quota of llm-apps in dev',
      }),
    ).toHaveAttribute('aria-valuenow', String(Math.round((58 / 64) * 100)));
    expect(verdict).toHaveTextContent(
      `Pod security: ${podSecurity.level}, no violations`,
    );
    expect(verdict).not.toHaveTextContent(/DRA/);
    // Allowed, and the service is the entity's own: no warning, no refusal.
    expect(within(detail).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('lists pod-security violations and DRA claims', async () => {
    const other = {
      ...pending,
      id: '00000000-0000-4000-8000-000000000002',
      policy: {
        ...pending.policy,
        podSecurity: {
          level: 'restricted-gpu',
          violations: [
            {
              field:
                'spec.roles[1].template.spec.containers[0].securityContext.runAsNonRoot',
              rule: 'restricted-gpu: runAsNonRoot',
              message: 'must be true',
            },
          ],
        },
        resourceClaims: 2,
      },
    };
    serve(other);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${other.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${other.id}`,
    });
    const verdict = within(detail).getByRole('list', {
      name: 'Policy verdict',
    });
    expect(verdict).toHaveTextContent(
      'Pod security: restricted-gpu, 1 violation',
    );
    expect(
      within(verdict).getByRole('list', { name: 'Pod-security violations' }),
    ).toHaveTextContent(
      'spec.roles[1].template.spec.containers[0].securityContext.runAsNonRoot: must be true',
    );
    expect(verdict).toHaveTextContent('DRA resource claims: 2 claims');
  });

  it('warns when the request changes a service that belongs to another entity', async () => {
    const other = {
      ...pending,
      id: '00000000-0000-4000-8000-000000000003',
      policy: { ...pending.policy, previousEntityRef: 'component:default/pd' },
    };
    serve(other);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${other.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${other.id}`,
    });
    const warning = within(detail).getByRole('alert');
    expect(warning).toHaveTextContent(
      /This request changes a service that belongs to .*pd.*, not to .*qwen/,
    );
    expect(
      within(warning)
        .getAllByRole('link')
        .map(l => l.getAttribute('href')),
    ).toEqual([
      '/catalog/default/component/pd',
      '/catalog/default/component/qwen',
    ]);
    expect(warning.className).toMatch(/Warning/);
  });

  it('says that approving a change the policy refuses would apply nothing', async () => {
    const other = {
      ...pending,
      id: '00000000-0000-4000-8000-000000000004',
      policy: {
        ...pending.policy,
        allowed: false,
        quota: { ...pending.policy.quota, after: 70 },
        denials: [
          {
            field: 'spec.roles',
            rule: 'project.quota',
            message:
              'project llm-apps would hold 70 GPUs in cluster dev, over its quota of 64 (42 before this change); nothing is applied, not even after approval',
          },
        ],
      },
    };
    serve(other);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${other.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${other.id}`,
    });
    const refusal = within(detail).getByRole('alert');
    expect(refusal).toHaveTextContent('The policy refuses this change');
    expect(refusal).toHaveTextContent(
      'spec.roles: project llm-apps would hold 70 GPUs in cluster dev, over its quota of 64',
    );
    expect(refusal).toHaveTextContent(/Approving it would apply nothing/);
    expect(
      within(detail).getByRole('progressbar', {
        name: 'GPU quota of llm-apps in dev',
      }),
    ).toHaveAttribute('aria-valuenow', '100');
    const approve = within(detail).getByRole('button', { name: 'Approve' });
    await waitFor(() => expect(approve).toBeEnabled());
    expect(approve).toHaveAccessibleDescription(/would apply nothing/);
    await userEvent.click(approve);
    expect(screen.getByRole('dialog')).toHaveTextContent(
      /The policy refuses this change .*: the backend will not apply it/,
    );
  });

  // usePermission caches decisions by permission and resource for the whole file: each test names its own project.
  const overQuota = (project: string) => ({
    ...pending,
    id: '00000000-0000-4000-8000-000000000006',
    policy: {
      ...pending.policy,
      project,
      allowed: false,
      quota: { ...pending.policy.quota, after: 70 },
      denials: [
        {
          field: 'spec.roles',
          rule: 'project.quota',
          message:
            'project llm-apps would hold 70 GPUs in cluster dev (42 before this change), over its quota of 64; an approver with fusioninfer.project.quota.update can raise it (until then nothing is applied, not even after approval)',
        },
      ],
    },
  });

  it('lets an approver who may update the project quota raise it from a request refused for quota', async () => {
    const approval = overQuota('raise-me');
    serve(approval);
    const puts: unknown[] = [];
    server.use(
      http.put(
        `${BASE}/projects/:project/quotas/:cluster`,
        async ({ request, params }) => {
          const body = (await request.json()) as { gpus: number };
          puts.push({ ...params, body });
          return HttpResponse.json({
            name: params.project,
            owners: ['group:default/llm-apps'],
            destinations: [],
            quotas: [
              {
                cluster: params.cluster,
                limit: body.gpus,
                configured: 64,
                inUse: 42,
              },
            ],
          });
        },
      ),
    );
    const checked: Array<[string, string | undefined]> = [];
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${approval.id}`],
      allow: (permission, resourceRef) => {
        checked.push([permission, resourceRef]);
        return true;
      },
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${approval.id}`,
    });
    const refusal = within(detail).getByRole('alert');
    await userEvent.click(
      await within(refusal).findByRole('button', { name: 'Raise quota' }),
    );
    expect(checked).toContainEqual([
      'fusioninfer.project.quota.update',
      'raise-me',
    ]);
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('Raise the GPU quota of raise-me in dev');
    expect(dialog).toHaveTextContent(
      'The quota is 64 GPUs; this request needs 70 GPUs in all.',
    );
    const gpus = within(dialog).getByLabelText('GPU quota');
    expect(gpus).toHaveValue(70);
    await userEvent.clear(gpus);
    const save = within(dialog).getByRole('button', { name: 'Set quota' });
    expect(save).toBeDisabled();
    await userEvent.type(gpus, '80');
    const reason = within(dialog).getByLabelText('Reason');
    expect(reason).toHaveValue(`approval request ${approval.id}`);
    await userEvent.clear(reason);
    expect(save).toBeDisabled();
    await userEvent.type(reason, 'launch week');
    await userEvent.click(save);
    await waitFor(() =>
      expect(puts).toEqual([
        {
          project: 'raise-me',
          cluster: 'dev',
          body: { gpus: 80, reason: 'launch week' },
        },
      ]),
    );
    expect(await within(refusal).findByRole('status')).toHaveTextContent(
      'Quota now 80 GPUs',
    );
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('offers no quota raise to a viewer without fusioninfer.project.quota.update', async () => {
    const approval = overQuota('no-raise');
    serve(approval);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${approval.id}`],
      allow: permission => permission !== 'fusioninfer.project.quota.update',
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${approval.id}`,
    });
    const approve = within(detail).getByRole('button', { name: 'Approve' });
    await waitFor(() => expect(approve).toBeEnabled());
    expect(
      within(detail).queryByRole('button', { name: 'Raise quota' }),
    ).not.toBeInTheDocument();
  });

  it('offers the quota raise beside "Run again" when an approved request failed for quota', async () => {
    const failed = {
      ...pending,
      policy: { ...pending.policy, project: 'failed-quota' },
      id: '00000000-0000-4000-8000-000000000007',
      status: 'approved',
      decidedBy: 'user:default/bob',
      execution: {
        state: 'failed',
        at: pending.requestedAt,
        message:
          'refused by policy: spec.roles: project llm-apps would hold 70 GPUs in cluster dev (42 before this change), over its quota of 64; an approver with fusioninfer.project.quota.update can raise it [project.quota]',
      },
    };
    serve(failed as typeof pending);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${failed.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${failed.id}`,
    });
    const alert = within(detail).getByRole('alert');
    expect(alert).toHaveTextContent(/Applying the approved manifest failed/);
    expect(
      await within(alert).findByRole('button', { name: 'Raise quota' }),
    ).toBeInTheDocument();
    expect(
      within(alert).getByRole('button', { name: 'Run again' }),
    ).toBeInTheDocument();
  });

  it('shows a request filed before the backend kept a verdict as before', async () => {
    const { policy: _policy, ...old } = {
      ...pending,
      id: '00000000-0000-4000-8000-000000000005',
    };
    serve(old as typeof pending);
    await renderWithApis(<ApprovalsPage />, {
      user: 'user:default/bob',
      routeEntries: [`/approvals/${old.id}`],
    });
    const detail = await screen.findByRole('region', {
      name: `Approval request ${old.id}`,
    });
    expect(
      await within(detail).findByText('Creates a new service'),
    ).toBeInTheDocument();
    expect(
      within(detail).queryByRole('list', { name: 'Policy verdict' }),
    ).not.toBeInTheDocument();
    expect(within(detail).queryByText(/Team project/)).not.toBeInTheDocument();
    expect(within(detail).queryByRole('alert')).not.toBeInTheDocument();
    expect(
      within(detail).getByRole('button', { name: 'Approve' }),
    ).toBeEnabled();
  });

  it('explains a denied list', async () => {
    server.use(
      http.get(`${BASE}/approvals`, () =>
        errorResponse('error-forbidden-approvals'),
      ),
    );
    await renderWithApis(<ApprovalsPage />);
    expect(await screen.findByText('Permission denied')).toBeInTheDocument();
  });
});
