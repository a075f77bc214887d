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

import { serviceState } from '@fusioninfer/plugin-fusioninfer-common';
import {
  context,
  exampleInputs,
  mockClient,
  responseError,
} from '../__testUtils__/mocks';
import { detail } from '../__testUtils__/details';
import { createWaitAction } from './wait';
import { examples } from './wait.examples';

const ID = '0b7e3c52-9a51-4f3e-8d53-0a8f0c1f2e3d';
const approval = (status: string, execution?: object, extra: object = {}) => ({
  id: ID,
  status,
  cluster: 'dev',
  namespace: 'ml',
  name: 'deepseek',
  ...(execution ? { execution } : {}),
  ...extra,
});

describe('fusioninfer:service:wait', () => {
  let client: ReturnType<typeof mockClient>;
  let action: ReturnType<typeof createWaitAction>;
  beforeEach(() => {
    client = mockClient();
    action = createWaitAction({ client, pollIntervalMs: 5 });
  });

  it.each(exampleInputs(examples).map((x, i) => [i, x]))(
    'runs example %s',
    async (_, input) => {
      client.getApproval.mockResolvedValue(
        approval('approved', { state: 'applied', at: 'now' }),
      );
      client.getService.mockResolvedValue(detail('ready'));
      const c = context(input);
      await action.handler(c.ctx as any);
      expect(c.outputs().ready).toBe(true);
    },
  );

  it('waits for the decision, then for the backend to apply, then for Ready', async () => {
    client.getApproval
      .mockResolvedValueOnce(approval('pending'))
      .mockResolvedValueOnce(
        approval('approved', { state: 'applying', at: 't' }),
      )
      .mockResolvedValue(
        approval(
          'approved',
          { state: 'applied', at: 't' },
          {
            decidedBy: 'user:default/alice',
            entityRef: 'component:default/deepseek.ml.dev',
          },
        ),
      );
    client.getService
      .mockResolvedValueOnce(detail('deploying'))
      .mockResolvedValue(detail('ready'));
    const c = context({ approvalId: ID, timeoutSeconds: 10 });
    await action.handler(c.ctx as any);
    expect(c.outputs()).toEqual({
      approvalStatus: 'approved',
      decidedBy: 'user:default/alice',
      entityRef: 'component:default/deepseek.ml.dev',
      inferenceUrl: '/catalog/default/component/deepseek.ml.dev/inference',
      ready: true,
    });
    expect(client.getService).toHaveBeenCalledWith(
      { cluster: 'dev', namespace: 'ml', name: 'deepseek' },
      expect.anything(),
    );
    expect(c.logs()).toEqual(
      expect.arrayContaining([
        `info: approval request ${ID}: pending`,
        `info: approval request ${ID}: approved (applying)`,
        `info: approval request ${ID}: approved (applied)`,
      ]),
    );
  });

  it.each([
    [
      'rejected',
      { decidedBy: 'user:default/bob', comment: 'too many GPUs' },
      /was rejected by user:default\/bob: too many GPUs; nothing was applied/,
    ],
    ['expired', {}, /was expired; nothing was applied/],
    ['cancelled', {}, /was cancelled; nothing was applied/],
  ])('fails when the request is %s', async (status, extra, message) => {
    client.getApproval.mockResolvedValue(approval(status, undefined, extra));
    const c = context({ approvalId: ID });
    await expect(action.handler(c.ctx as any)).rejects.toThrow(message);
    expect(client.getService).not.toHaveBeenCalled();
  });

  it('fails when the approved apply failed', async () => {
    client.getApproval.mockResolvedValue(
      approval('approved', {
        state: 'failed',
        at: 't',
        message: 'admission webhook denied',
      }),
    );
    await expect(
      action.handler(context({ approvalId: ID }).ctx as any),
    ).rejects.toThrow(
      /approved but applying it failed: admission webhook denied/,
    );
  });

  it('times out on a pending request, saying nothing was applied', async () => {
    client.getApproval.mockResolvedValue(
      approval('pending', undefined, { expiresAt: '2026-12-04T00:00:00Z' }),
    );
    await expect(
      action.handler(context({ approvalId: ID, timeoutSeconds: 1 }).ctx as any),
    ).rejects.toThrow(
      /still pending after 1 s \(nothing applied\).*2026-12-04/,
    );
  });

  it('refuses an approval for a different service than the one named', async () => {
    client.getApproval.mockResolvedValue(
      approval('approved', { state: 'applied', at: 't' }),
    );
    await expect(
      action.handler(
        context({
          approvalId: ID,
          cluster: 'dev',
          namespace: 'ml',
          name: 'other',
        }).ctx as any,
      ),
    ).rejects.toThrow(/is for dev\/ml\/deepseek, not dev\/ml\/other/);
  });

  it('fails at once on an invalid spec', async () => {
    client.getService.mockResolvedValue(detail('invalid'));
    await expect(
      action.handler(
        context({ cluster: 'dev', namespace: 'ml', name: 'deepseek' })
          .ctx as any,
      ),
    ).rejects.toThrow(/invalid: spec.roles\[0\].replicas/);
    expect(client.getService).toHaveBeenCalledTimes(1);
  });

  it('passes on errors other than 404', async () => {
    client.getService.mockRejectedValue(
      await responseError(403, 'not allowed'),
    );
    await expect(
      action.handler(
        context({ cluster: 'dev', namespace: 'ml', name: 'deepseek' })
          .ctx as any,
      ),
    ).rejects.toThrow(/not allowed/);
  });

  it('needs a service or an approval id', async () => {
    await expect(
      action.handler(context({ cluster: 'dev' }).ctx as any),
    ).rejects.toThrow(
      /cluster, namespace, name: all three are required unless approvalId is given/,
    );
  });

  it('dry run calls nothing', async () => {
    const c = context({ approvalId: ID }, { isDryRun: true });
    await action.handler(c.ctx as any);
    expect(client.getApproval).not.toHaveBeenCalled();
    expect(c.outputs()).toEqual({ ready: false });
  });
});

describe("serviceState of the scaffolder's details (what waitUntilReady reads)", () => {
  it('is not Ready until the controller has observed the current generation', () => {
    const r = serviceState(detail('stale') as any);
    expect(r.ready).toBe(false);
    expect(r.missing[0]).toBe(
      'the controller has not observed generation 2 yet',
    );
    expect(serviceState(detail('ready') as any)).toMatchObject({
      ready: true,
      missing: [],
    });
  });

  it('names crashing pods and an EPP that is not ready', () => {
    const d: any = detail('deploying');
    d.roles[0].replicas[0].pods[0].problem = 'CrashLoopBackOff';
    d.router = {
      role: 'router',
      strategy: 'pd-disaggregation',
      epp: {
        ready: false,
        conditions: [],
        problems: [
          {
            pod: 'x-epp-1',
            reason: 'CrashLoopBackOff',
            message:
              "plugin type 'pd-profile-handler' is not found in registry",
          },
        ],
      },
    };
    expect(serviceState(d).missing).toEqual([
      'role decode: 1/2 replicas ready (Pending)',
      'pod deepseek-decode-0-0: CrashLoopBackOff',
      "endpoint picker not ready: x-epp-1: CrashLoopBackOff (plugin type 'pd-profile-handler' is not found in registry)",
    ]);
  });
});
