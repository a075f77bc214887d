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
