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
import {
  act,
  screen,
  waitFor,
  waitForElementToBeRemoved,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  serviceDetailSchema,
  type CanaryPhase,
  type CanaryViewResponse,
  type ServiceDetail,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  BASE,
  fixture,
  http,
  HttpResponse,
  renderWithApis,
  setupMsw,
} from '../../__testUtils__';
import { CanaryPanel } from './CanaryPanel';

jest.setTimeout(30_000);

const server = setupMsw();
const CANARY = `${BASE}/clusters/dev/namespaces/demo/services/qwen-rolling/canary`;
const ENTITY = 'component:default/qwen';
const REVISION = '3k9dq0f1b';
/** The canary started 5 minutes ago (the panel says how long ago things happened). */
const T0 = Date.now() - 300_000;
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

type State = NonNullable<CanaryViewResponse['state']>;

/**
 * A recorded service (qwen-rolling on the development cluster) with a canary section as the backend describes one
 * (words of common's state machine), parsed with the detail's schema so a contract change fails here first.
 */
function withCanary(
  canary: Partial<CanaryViewResponse> & { state?: State },
): ServiceDetail {
  const base = fixture<ServiceDetail>('service-rolling');
  return serviceDetailSchema.parse({
    ...base,
    canary: {
      policy: {
        steps: [5, 20, 50],
        stepSeconds: 120,
        replicas: 1,
        minRequests: 5,
        analysis: {
          maxTtftP95Seconds: 2,
          maxTtftP95Ratio: 1.5,
          maxErrorRate: 0.01,
          maxQueuePerReplica: 8,
        },
        onBreach: 'pause',
        autoPromote: false,
      },
      revision: REVISION,
      active: true,
      routeWeight: 20,
      canaryReplicas: 1,
      readyCanaryReplicas: 1,
      ...canary,
    },
  });
}

const started = {
  at: at(0),
  phase: 'Starting' as const,
  weight: 0,
  message: `canary of revision ${REVISION} started`,
  by: 'canary-controller',
};
const ready = {
  at: at(40),
  phase: 'Progressing' as const,
  weight: 5,
  message: 'canary Ready: 5 % of the traffic',
  by: 'canary-controller',
};
const step2 = {
  at: at(170),
  phase: 'Progressing' as const,
  weight: 20,
  message: 'step 2 of 3: 20 %',
  by: 'canary-controller',
};

/** A canary in its second step (20 %), its last check within every limit. */
function progressing(over: Partial<State> = {}): State {
  return {
    revision: REVISION,
    phase: 'Progressing',
    step: 1,
    weight: 20,
    since: at(170),
    passed: 1,
    checks: [
      {
        at: at(185),
        weight: 20,
        ttftP95: 0.42,
        stableTtftP95: 0.4,
        errorRate: 0,
        queuePerReplica: 1,
        requests: 57,
        breaches: [],
      },
    ],
    events: [started, ready, step2],
    ...over,
  };
}

/** The same canary paused by its gate: TTFT p95 more than 1.5× the stable's. */
const breach = 'TTFT p95 1.9 s is 1.583× the stable 1.2 s > 1.5×';
function pausedByGate(): State {
  return progressing({
    phase: 'Paused',
    since: at(200),
    reason: breach,
    checks: [
      ...progressing().checks,
      {
        at: at(200),
        weight: 20,
        ttftP95: 1.9,
        stableTtftP95: 1.2,
        errorRate: 0.002,
        queuePerReplica: 2,
        requests: 61,
        breaches: [breach],
      },
    ],
    events: [
      started,
      ready,
      step2,
      {
        at: at(200),
        phase: 'Paused',
        weight: 20,
        message: `paused: ${breach}`,
        by: 'canary-controller',
      },
    ],
  });
}

/** The panel over a detail the test replaces, as the tab's polling does. */
function Polled(props: {
  first: ServiceDetail;
  next: { set?: (d: ServiceDetail) => void };
  entityRef?: string;
}) {
  const [detail, setDetail] = useState(props.first);
  props.next.set = setDetail;
  return <CanaryPanel detail={detail} entityRef={props.entityRef ?? ENTITY} />;
}

const BUTTONS = ['Promote', 'Roll back', 'Pause canary', 'Resume canary'];
const buttonNames = () =>
  within(screen.getByRole('region', { name: 'Canary' }))
    .queryAllByRole('button')
    .map(b => b.textContent);

describe('CanaryPanel', () => {
  it('shows the split, the replicas, the steps with the current one, the limits and the latest check', async () => {
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({
          state: progressing({ weight: 50, step: 2 }),
          message: 'canary progressing at 50 % of the traffic',
        })}
        entityRef={ENTITY}
      />,
    );
    const panel = screen.getByRole('region', { name: 'Canary' });
    expect(
      within(panel).getByRole('heading', { name: 'Canary' }),
    ).toBeInTheDocument();
    expect(within(panel).getByText('Progressing')).toBeInTheDocument();
    // The route still sends 20 %: the state asks for 50 %, the reconciler has not weighed the route yet.
    expect(panel).toHaveTextContent(
      `20 % of the traffic to the canary (revision ${REVISION}), 80 % to the stable replicas · moving to 50 %`,
    );
    expect(
      within(panel).getByRole('progressbar', {
        name: '20 % of the traffic to the canary',
      }),
    ).toHaveAttribute('aria-valuenow', '20');
    expect(panel).toHaveTextContent('Canary replicas: 1 of 1 Ready');
    const steps = within(panel).getByRole('list', { name: 'Canary steps' });
    const items = within(steps).getAllByRole('listitem');
    expect(items).toHaveLength(4);
    ['5 %', '20 %', '50 %now', 'Promote'].forEach((text, i) =>
      expect(items[i]).toHaveTextContent(text),
    );
    expect(items.map(i => i.getAttribute('aria-current'))).toEqual([
      null,
      null,
      'step',
      null,
    ]);
    expect(panel).toHaveTextContent(
      "Each step holds at least 120 s and passes on a check of at least 5 canary requests within the limits (TTFT p95 at most 2 s, TTFT p95 at most 1.5× the stable's, error rate at most 1 %, at most 8 waiting requests per replica). A breach pauses the canary; after the last step it waits for Promote.",
    );
    const check = within(panel).getByRole('table', {
      name: 'Latest canary check',
    });
    const rows = within(check)
      .getAllByRole('row')
      .slice(1)
      .map(r => r.textContent);
    expect(rows).toEqual([
      'TTFT p95' + '0.42 s' + '≤ 2 s',
      'vs stable' + '1.05× (stable 0.4 s)' + '≤ 1.5×',
      'Error rate' + '0 %' + '≤ 1 %',
      'Queue per replica' + '1' + '≤ 8',
      'Requests' + '57',
    ]);
    expect(panel).toHaveTextContent('Within every limit.');
    expect(panel).toHaveTextContent(
      'Reconciler: canary progressing at 50 % of the traffic',
    );
    expect(panel).not.toHaveTextContent('Breach');
    expect(
      within(panel).queryByText(/The Gateway cannot split/),
    ).not.toBeInTheDocument();
  });

  it.each<[CanaryPhase, string, string[]]>([
    ['Starting', 'Starting', ['Roll back', 'Pause canary']],
    ['Progressing', 'Progressing', ['Promote', 'Roll back', 'Pause canary']],
    ['Paused', 'Paused', ['Promote', 'Roll back', 'Resume canary']],
    ['AwaitingPromotion', 'Awaiting promotion', ['Promote', 'Roll back']],
    ['Promoting', 'Promoting', []],
    ['Complete', 'Complete', []],
    ['RolledBack', 'Rolled back', ['Resume canary']],
  ])('%s: shows "%s" and offers %j', async (phase, label, offered) => {
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({
          active: phase !== 'Complete' && phase !== 'RolledBack',
          state: progressing({ phase }),
        })}
        entityRef={ENTITY}
      />,
    );
    const panel = screen.getByRole('region', { name: 'Canary' });
    expect(within(panel).getByText(label)).toBeInTheDocument();
    expect(buttonNames()).toEqual(offered);
    for (const name of offered)
      expect(screen.getByRole('button', { name })).toBeEnabled();
  });

  it('offers no command for a state of an earlier revision (the backend refuses them)', async () => {
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({
          active: false,
          routeWeight: 0,
          canaryReplicas: 0,
          readyCanaryReplicas: 0,
          state: progressing({ revision: 'old1', phase: 'Complete' }),
        })}
        entityRef={ENTITY}
      />,
    );
    const panel = screen.getByRole('region', { name: 'Canary' });
    expect(within(panel).getByText('Complete')).toBeInTheDocument();
    expect(panel).toHaveTextContent(
      `The last canary ran revision old1; the spec is now at revision ${REVISION}.`,
    );
    expect(buttonNames()).toEqual([]);
  });

  it('shows a breach in the error colour with its text, and why it holds', async () => {
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({ state: pausedByGate() })}
        entityRef={ENTITY}
      />,
    );
    const panel = screen.getByRole('region', { name: 'Canary' });
    expect(panel).toHaveTextContent(`Why: ${breach}`);
    const line = within(panel).getByText(`Breach: ${breach}`);
    // MUI's error.main in the test app's theme; the reason above it is in the secondary text colour.
    expect(line).toHaveStyle({ color: 'rgb(211, 47, 47)' });
    expect(within(panel).getByText(/Why:/)).not.toHaveStyle({
      color: 'rgb(211, 47, 47)',
    });
    // The figure over its limit is marked, the others are not.
    const check = within(panel).getByRole('table', {
      name: 'Latest canary check',
    });
    const cell = within(check).getByText(/1\.583× \(stable 1\.2 s\)/);
    expect(cell).toHaveTextContent('(over the limit)');
    expect(cell).toHaveStyle({ color: 'rgb(211, 47, 47)' });
    expect(within(check).getByText('1.9 s')).not.toHaveStyle({
      color: 'rgb(211, 47, 47)',
    });
    expect(within(check).getByText('0.2 %')).toBeInTheDocument();
    // The stepper holds on the current step, marked paused.
    const steps = within(panel).getByRole('list', { name: 'Canary steps' });
    expect(within(steps).getAllByRole('listitem')[1]).toHaveTextContent(
      '20 %paused',
    );
  });

  it('warns when the Gateway cannot split the traffic', async () => {
    const problem =
      "the HTTPRoute qwen-rolling-route has no parent Gateway, so no Gateway reads its weights: set the router's httproute.parentRefs";
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({
          routeWeight: 0,
          gatewayProblem: problem,
          state: progressing({
            phase: 'Paused',
            weight: 0,
            step: -1,
            reason: problem,
          }),
        })}
        entityRef={ENTITY}
      />,
    );
    expect(
      screen.getByText(`The Gateway cannot split the traffic: ${problem}`),
    ).toBeInTheDocument();
  });

  it('rolls back after confirmation through POST …/canary and says so until the detail shows it', async () => {
    const asked: unknown[] = [];
    server.use(
      http.post(CANARY, async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json({
          outcome: 'applied',
          action: 'rollback',
          phase: 'RolledBack',
          weight: 0,
        });
      }),
    );
    const next: { set?: (d: ServiceDetail) => void } = {};
    await renderWithApis(
      <Polled first={withCanary({ state: pausedByGate() })} next={next} />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Roll back' }));
    const dialog = screen.getByRole('dialog', {
      name: 'Roll back the canary of qwen-rolling?',
    });
    expect(dialog).toHaveTextContent(
      "All traffic returns to the stable replicas; the canary's replicas are removed.",
    );
    // Nothing is sent before the confirmation.
    expect(asked).toEqual([]);
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Roll back' }),
    );
    expect(
      await screen.findByText(
        'Rolled back: the canary is Rolled back at 0 % of the traffic; this view shows it at its next refresh.',
      ),
    ).toBeInTheDocument();
    expect(asked).toEqual([{ action: 'rollback' }]);
    await waitForElementToBeRemoved(() => screen.queryByRole('dialog'));
    // No second command while the first one is not in the detail yet.
    expect(screen.getByRole('button', { name: 'Promote' })).toBeDisabled();
    // The next detail carries the rolled-back state: the note goes, Resume is offered.
    act(() =>
      next.set!(
        withCanary({
          active: false,
          routeWeight: 0,
          canaryReplicas: 0,
          readyCanaryReplicas: 0,
          state: {
            ...pausedByGate(),
            phase: 'RolledBack',
            weight: 0,
            since: at(230),
            reason: 'rolled back by user:default/alice',
            events: [
              ...pausedByGate().events,
              {
                at: at(230),
                phase: 'RolledBack',
                weight: 0,
                message:
                  'rolled back: all traffic to the stable pool, canary replicas removed',
                by: 'user:default/alice',
              },
            ],
          },
        }),
      ),
    );
    expect(screen.queryByText(/this view shows it/)).not.toBeInTheDocument();
    const panel = screen.getByRole('region', { name: 'Canary' });
    expect(within(panel).getByText('Rolled back')).toBeInTheDocument();
    expect(buttonNames()).toEqual(['Resume canary']);
    expect(panel).toHaveTextContent(
      '0 % of the traffic to the canary (revision 3k9dq0f1b), 100 % to the stable replicas',
    );
    // The timeline reads newest first, with who did it.
    const events = within(panel).getByRole('list', { name: 'Canary events' });
    expect(within(events).getAllByRole('listitem')[0]).toHaveTextContent(
      /^\d+s ago rolled back: all traffic to the stable pool, canary replicas removed · Rolled back at 0 % · by user:default\/alice$/,
    );
  });

  it('cancelling the confirmation sends nothing', async () => {
    const asked: unknown[] = [];
    server.use(
      http.post(CANARY, async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json({});
      }),
    );
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({ state: progressing() })}
        entityRef={ENTITY}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Roll back' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitForElementToBeRemoved(() => screen.queryByRole('dialog'));
    expect(asked).toEqual([]);
  });

  it('links the approval request when the policy holds a promotion', async () => {
    const asked: unknown[] = [];
    const held = fixture<{ status: number; body: any }>(
      'apply-approval-required',
    );
    server.use(
      http.post(CANARY, async ({ request }) => {
        asked.push(await request.json());
        return HttpResponse.json(held.body, { status: 202 });
      }),
    );
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({
          state: progressing({ phase: 'AwaitingPromotion', step: 2 }),
        })}
        entityRef={ENTITY}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Promote' }));
    expect(asked).toEqual([{ action: 'promote' }]);
    expect(await screen.findByText(/Held for approval/)).toHaveTextContent(
      `Held for approval (${held.body.reasons.join('; ')}). Nothing changed yet:`,
    );
    expect(
      screen.getByRole('link', {
        name: `request ${held.body.approval.id.slice(0, 8)}`,
      }),
    ).toHaveAttribute(
      'href',
      `/fusioninfer/approvals/${held.body.approval.id}`,
    );
    // Nothing changed: the button is offered again.
    expect(screen.getByRole('button', { name: 'Promote' })).toBeEnabled();
  });

  it("shows the backend's refusal", async () => {
    const message = 'pause: the canary is AwaitingPromotion, not running';
    server.use(
      http.post(CANARY, () =>
        HttpResponse.json(
          {
            error: { name: 'ConflictError', message },
            request: { method: 'POST', url: '/…/canary' },
            response: { statusCode: 409 },
          },
          { status: 409 },
        ),
      ),
    );
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({ state: progressing() })}
        entityRef={ENTITY}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Pause canary' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(message);
    expect(screen.getByRole('button', { name: 'Pause canary' })).toBeEnabled();
  });

  it('disables the commands, saying why, without fusioninfer.service.update on the service entity', async () => {
    // Another entity than the other tests': the permission hook caches its answers by resource.
    const detail = {
      ...withCanary({ state: pausedByGate() }),
      entityRef: 'component:default/not-mine',
    };
    await renderWithApis(<CanaryPanel detail={detail} entityRef={ENTITY} />, {
      allow: (_p, ref) => ref !== 'component:default/not-mine',
    });
    for (const name of ['Promote', 'Roll back', 'Resume canary'])
      expect(await screen.findByRole('button', { name })).toBeDisabled();
    await userEvent.hover(
      screen.getByRole('button', { name: 'Roll back' }).parentElement!,
    );
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Needs fusioninfer.service.update on component:default/not-mine',
    );
  });

  it('shows the latest 10 events, and all on demand', async () => {
    const events = Array.from({ length: 14 }, (_, i) => ({
      at: at(i * 10),
      phase: 'Paused' as const,
      weight: 5,
      message: `event ${i + 1}`,
      by: 'user:default/alice',
    }));
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({ state: progressing({ events }) })}
        entityRef={ENTITY}
      />,
    );
    const list = () =>
      within(screen.getByRole('list', { name: 'Canary events' }))
        .getAllByRole('listitem')
        .map(li => li.textContent!.match(/event \d+/)![0]);
    expect(list()).toEqual(
      Array.from({ length: 10 }, (_, i) => `event ${14 - i}`),
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Show all 14 events' }),
    );
    expect(list()).toHaveLength(14);
    expect(list()[13]).toBe('event 1');
  });

  it('renders nothing without a canary running or recorded', async () => {
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({
          active: false,
          routeWeight: 0,
          canaryReplicas: 0,
          readyCanaryReplicas: 0,
        })}
        entityRef={ENTITY}
      />,
    );
    expect(
      screen.queryByRole('region', { name: 'Canary' }),
    ).not.toBeInTheDocument();
    for (const name of BUTTONS)
      expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
  });

  it('a canary the reconciler starts before the controller records it: Starting, no command yet', async () => {
    await renderWithApis(
      <CanaryPanel
        detail={withCanary({
          routeWeight: 0,
          readyCanaryReplicas: 0,
          message:
            'canary starting: its replicas come up before any traffic moves',
        })}
        entityRef={ENTITY}
      />,
    );
    const panel = screen.getByRole('region', { name: 'Canary' });
    expect(within(panel).getByText('Starting')).toBeInTheDocument();
    expect(panel).toHaveTextContent('Canary replicas: 0 of 1 Ready');
    expect(buttonNames()).toEqual([]);
  });
});

describe('CanaryPanel on details the backend recorded (dev/record-fixtures.ts)', () => {
  const RECORDED = `${BASE}/clusters/dev/namespaces/demo/services/qwen-canary/canary`;

  it('a canary at its first step: split, replicas, steps, no check yet; Pause, then Roll back as the backend answered them', async () => {
    const asked: unknown[] = [];
    server.use(
      http.post(RECORDED, async ({ request }) => {
        const body = (await request.json()) as { action: string };
        asked.push(body);
        return HttpResponse.json(fixture(`canary-${body.action}`));
      }),
    );
    const next: { set?: (d: ServiceDetail) => void } = {};
    const first = fixture<ServiceDetail>('service-canary');
    await renderWithApis(
      <Polled first={first} next={next} entityRef={first.entityRef} />,
    );
    const panel = screen.getByRole('region', { name: 'Canary' });
    expect(within(panel).getByText('Progressing')).toBeInTheDocument();
    expect(panel).toHaveTextContent(
      `20 % of the traffic to the canary (revision ${first.canary!.revision}), 80 % to the stable replicas`,
    );
    expect(panel).toHaveTextContent('Canary replicas: 1 of 1 Ready');
    const steps = within(panel).getByRole('list', { name: 'Canary steps' });
    const items = within(steps).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    ['20 %now', '50 %', 'Promote'].forEach((text, i) =>
      expect(items[i]).toHaveTextContent(text),
    );
    expect(buttonNames()).toEqual(['Promote', 'Roll back', 'Pause canary']);

    await userEvent.click(screen.getByRole('button', { name: 'Pause canary' }));
    await waitFor(() => expect(asked).toEqual([{ action: 'pause' }]));
    act(() => next.set!(fixture<ServiceDetail>('service-canary-paused')));
    await screen.findByText('Paused');
    expect(buttonNames()).toEqual(['Promote', 'Roll back', 'Resume canary']);
    const events = within(panel).getByRole('list', { name: 'Canary events' });
    expect(within(events).getAllByRole('listitem')[0]).toHaveTextContent(
      /paused by user:default\/alice · Paused at 20 %/,
    );

    await userEvent.click(screen.getByRole('button', { name: 'Roll back' }));
    const dialog = screen.getByRole('dialog', {
      name: 'Roll back the canary of qwen-canary?',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Roll back' }),
    );
    await waitFor(() =>
      expect(asked).toEqual([{ action: 'pause' }, { action: 'rollback' }]),
    );
    await waitForElementToBeRemoved(() => screen.queryByRole('dialog'));
    act(() => next.set!(fixture<ServiceDetail>('service-canary-rolled-back')));
    await screen.findByText('Rolled back');
    expect(buttonNames()).toEqual(['Resume canary']);
    expect(screen.getByRole('region', { name: 'Canary' })).toHaveTextContent(
      '0 % of the traffic to the canary',
    );
  });
});
