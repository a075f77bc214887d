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

import { useState } from 'react';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ServiceDetail } from '@fusioninfer/plugin-fusioninfer-common';
import {
  BASE,
  errorResponse,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import { RolloutPanel } from './RolloutPanel';

jest.setTimeout(30_000);

const server = setupMsw();
const ROLLOUT = `${BASE}/clusters/dev/namespaces/demo/services/qwen-rolling/rollout`;
const ENTITY = 'component:default/qwen';

/** Recorded from the development cluster: an image change on 4 replicas, the first replica moved, not Ready yet. */
const rolling = () => fixture<ServiceDetail>('service-rolling');

/** The panel over a detail the test replaces, as the tab's polling does. */
function Polled(props: {
  first: ServiceDetail;
  next: { set?: (d: ServiceDetail) => void };
}) {
  const [detail, setDetail] = useState(props.first);
  props.next.set = setDetail;
  return <RolloutPanel detail={detail} entityRef={ENTITY} />;
}

describe('RolloutPanel', () => {
  it('counts the surge replicas and the extra GPUs they hold', async () => {
    const d = rolling();
    d.roles[0].rollout = {
      ...d.roles[0].rollout!,
      surgeReplicas: 1,
      surgeGpus: 2,
    };
    await renderWithApis(<RolloutPanel detail={d} entityRef={ENTITY} />);
    const panel = screen.getByRole('region', { name: 'Rollout of inference' });
    expect(panel).toHaveTextContent('1 surge replica (2 extra GPUs)');
  });

  it('shows the wave under way: replicas at the new spec of N, Ready, why it waits, the policy (recorded)', async () => {
    await renderWithApis(
      <RolloutPanel detail={rolling()} entityRef={ENTITY} />,
    );
    const panel = screen.getByRole('region', { name: 'Rollout of inference' });
    expect(within(panel).getByText('Waiting')).toBeInTheDocument();
    expect(
      within(panel).getByRole('progressbar', {
        name: 'inference: 1 of 4 replicas at the new spec',
      }),
    ).toBeInTheDocument();
    expect(panel).toHaveTextContent(
      '1 of 4 replicas at the new spec · 0 Ready',
    );
    expect(panel).toHaveTextContent('Waits: waiting for replica 3 to be Ready');
    expect(panel).toHaveTextContent('Policy: at most 1 down, 0 surge');
    expect(panel).not.toHaveTextContent('(defaults)');
  });

  it('pauses through POST …/rollout and says so until the detail shows it paused', async () => {
    const asked: unknown[] = [];
    server.use(
      http.post(ROLLOUT, async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json(fixture('rollout-pause'));
      }),
    );
    const next: { set?: (d: ServiceDetail) => void } = {};
    await renderWithApis(<Polled first={rolling()} next={next} />);
    await userEvent.click(
      screen.getByRole('button', { name: 'Pause rollout of inference' }),
    );
    expect(asked).toEqual([{ role: 'inference', paused: true }]);
    expect(
      await screen.findByText(/Pausing: the reconciler takes it up/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Pause rollout of inference' }),
    ).toBeDisabled();
    // The next detail (recorded once the reconciler held it) is paused: the note goes, Resume is offered.
    act(() => next.set!(fixture<ServiceDetail>('service-rolling-paused')));
    expect(screen.queryByText(/Pausing/)).not.toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Resume rollout of inference' }),
    ).toBeEnabled();
    const panel = screen.getByRole('region', { name: 'Rollout of inference' });
    expect(within(panel).getByText('Paused')).toBeInTheDocument();
    expect(panel).toHaveTextContent(
      'Paused: paused with 3 of 4 replicas at the old spec',
    );
  });

  it('resumes a paused rollout, and links the approval request when the policy holds the change', async () => {
    const asked: unknown[] = [];
    const held = fixture<{ status: number; body: any }>(
      'apply-approval-required',
    );
    server.use(
      http.post(ROLLOUT, async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json(held.body, { status: 202 });
      }),
    );
    await renderWithApis(
      <RolloutPanel
        detail={fixture<ServiceDetail>('service-rolling-paused')}
        entityRef={ENTITY}
      />,
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Resume rollout of inference' }),
    );
    expect(asked).toEqual([{ role: 'inference', paused: false }]);
    expect(await screen.findByText(/Held for approval/)).toBeInTheDocument();
    expect(
      screen.getByRole('link', {
        name: `request ${held.body.approval.id.slice(0, 8)}`,
      }),
    ).toHaveAttribute(
      'href',
      `/fusioninfer/approvals/${held.body.approval.id}`,
    );
    // Nothing changed: the button is offered again.
    expect(
      screen.getByRole('button', { name: 'Resume rollout of inference' }),
    ).toBeEnabled();
  });

  it('shows a refusal', async () => {
    server.use(
      http.post(ROLLOUT, () => errorResponse('error-forbidden-scale')),
    );
    await renderWithApis(
      <RolloutPanel detail={rolling()} entityRef={ENTITY} />,
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Pause rollout of inference' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      fixture('error-forbidden-scale').body.error.message,
    );
  });

  it('disables Pause, saying why, without fusioninfer.service.update on the service entity (as the Canary section)', async () => {
    // Another entity than the other tests': the permission hook caches its answers by resource.
    const detail = { ...rolling(), entityRef: 'component:default/not-mine' };
    await renderWithApis(<RolloutPanel detail={detail} entityRef={ENTITY} />, {
      allow: (_p, ref) => ref !== 'component:default/not-mine',
    });
    expect(
      screen.getByRole('region', { name: 'Rollout of inference' }),
    ).toBeInTheDocument();
    const pause = await screen.findByRole('button', {
      name: 'Pause rollout of inference',
    });
    expect(pause).toBeDisabled();
    await userEvent.hover(pause.parentElement!);
    await waitFor(() =>
      expect(screen.getByRole('tooltip')).toHaveTextContent(
        'Needs fusioninfer.service.update on component:default/not-mine',
      ),
    );
  });

  it('renders nothing when every replica runs the current spec (recorded after the rollout)', async () => {
    const complete = fixture<ServiceDetail>('service-rolling-complete');
    expect(complete.roles[0].rollout).toMatchObject({
      active: false,
      phase: 'complete',
    });
    await renderWithApis(<RolloutPanel detail={complete} entityRef={ENTITY} />);
    expect(
      screen.queryByRole('region', { name: 'Rollout' }),
    ).not.toBeInTheDocument();
    expect(screen.queryByText(/Rollout of/)).not.toBeInTheDocument();
  });
});
