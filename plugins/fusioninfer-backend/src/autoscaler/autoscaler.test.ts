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

import { Knex } from 'knex';
import { TestDatabases } from '@backstage/backend-test-utils';
import { DevCluster, runLoad, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import { startFusionInferTestBackend } from '@fusioninfer/test-utils/backend';
import {
  AUTOSCALING_ANNOTATION,
  AutoscalingResponse,
  fusioninferRoutes,
  InferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { ConfigReader } from '@backstage/config';
import { fusioninferPlugin } from '../plugin';
import { readAutoscalerConfig } from './config';
import {
  assertAutoscalerMayChange,
  ChangeRequest,
  requesterCaller,
} from '../changes/ServiceWriter';

const SVC = '/clusters/dev/namespaces/default/services';
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** A one-role service (1 GPU per replica) whose engine runs one request at a time, so load makes a queue. */
function service(name: string, policy: object, replicas = 1): InferenceService {
  const m = loadExample<InferenceService>('monolithic-no-router.yaml', {
    name,
    namespace: 'default',
    labels: { 'fusioninfer.io/owner': 'team-a' },
    annotations: { [AUTOSCALING_ANNOTATION]: JSON.stringify(policy) },
  });
  m.spec.roles[0].replicas = replicas;
  m.spec.roles[0].template!.spec!.containers[0].args = [
    '--model',
    'Qwen/Qwen3-8B',
    '--max-num-seqs',
    '1',
  ];
  return m;
}

/** The answer's contract, as every route's test checks it. */
function expectContract(body: unknown) {
  const r = fusioninferRoutes.getAutoscaling.responses[200].safeParse(body);
  expect(r.success ? [] : r.error.issues).toEqual([]);
}

describe('the autoscaler caller (what the writer lets it change)', () => {
  const live = service('s', {
    inference: {
      minReplicas: 1,
      maxReplicas: 4,
      signal: 'waitingRequests',
      target: 1,
      mode: 'acting',
    },
  }) as InferenceService;
  live.metadata.uid = 'u1';
  live.metadata.resourceVersion = '7';
  const scale = (
    edit: (m: InferenceService) => void,
    base = live,
  ): ChangeRequest => {
    const m = JSON.parse(JSON.stringify(base)) as InferenceService;
    delete (m.metadata as any).uid;
    delete (m.metadata as any).resourceVersion;
    edit(m);
    return {
      cluster: 'dev',
      namespace: 'default',
      name: 's',
      kind: 'scale',
      manifest: m,
    };
  };
  const check =
    (change: ChangeRequest, onto = live) =>
    () =>
      assertAutoscalerMayChange('dev/default/s', change, onto);

  it('allows the replicas of acting roles within min/max, and nothing else', () => {
    expect(
      check(
        scale(m => {
          m.spec.roles[0].replicas = 4;
        }),
      ),
    ).not.toThrow();
    expect(
      check(
        scale(m => {
          m.spec.roles[0].replicas = 5;
        }),
      ),
    ).toThrow(
      'not allowed: the autoscaler may not set role inference of dev/default/s to 5 replicas: its policy allows 1 to 4; nothing applied',
    );
    // Anything beside replicas: the image, a label, the policy itself.
    expect(
      check(
        scale(m => {
          m.spec.roles[0].replicas = 2;
          m.spec.roles[0].template!.spec!.containers[0].image = 'evil:latest';
        }),
      ),
    ).toThrow(/changes only replicas/);
    expect(
      check(
        scale(m => {
          m.metadata.annotations![AUTOSCALING_ANNOTATION] = JSON.stringify({
            inference: {
              maxReplicas: 100,
              signal: 'kvCacheUsage',
              target: 0.5,
              mode: 'acting',
            },
          });
          m.spec.roles[0].replicas = 3;
        }),
      ),
    ).toThrow(/changes only replicas/);
    expect(check({ ...scale(() => {}), kind: 'apply' })).toThrow(
      /only changes the replicas of roles/,
    );
    expect(check({ ...scale(() => {}), kind: 'delete' })).toThrow(
      /only changes the replicas of roles/,
    );
    // A version other than the one decided on: decided again.
    expect(
      check({
        ...scale(m => {
          m.spec.roles[0].replicas = 2;
        }),
        resourceVersion: '6',
      }),
    ).toThrow(/changed since the autoscaler decided/);
  });

  it('checks the policy on the live service: advisory, removed or narrowed stops it', () => {
    const change = scale(m => {
      m.spec.roles[0].replicas = 3;
    });
    const advisory = service('s', {
      inference: { maxReplicas: 4, signal: 'waitingRequests', target: 1 },
    });
    expect(check(change, advisory)).toThrow(/its autoscaling is advisory/);
    const none = service('s', {});
    delete none.metadata.annotations![AUTOSCALING_ANNOTATION];
    expect(check(change, none)).toThrow(/gave it no autoscaling policy/);
    const narrowed = service('s', {
      inference: {
        maxReplicas: 2,
        signal: 'waitingRequests',
        target: 1,
        mode: 'acting',
      },
    });
    expect(check(change, narrowed)).toThrow(/allows 1 to 2/);
    expect(() =>
      assertAutoscalerMayChange('dev/default/s', change, undefined),
    ).toThrow(/does not exist/);
  });

  it('approval requests of the autoscaler execute as the autoscaler, everybody else as a requester', () => {
    expect(requesterCaller('autoscaler')).toEqual({
      kind: 'autoscaler',
      user: 'autoscaler',
    });
    expect(requesterCaller('user:default/alice')).toEqual({
      kind: 'requester',
      user: 'user:default/alice',
    });
  });
});

describe('fusioninfer.autoscaler configuration', () => {
  const read = (autoscaler?: object) =>
    readAutoscalerConfig(
      new ConfigReader({ fusioninfer: autoscaler ? { autoscaler } : {} }),
    );

  it('defaults to deciding every 15 s, a rejection holding for an hour; durations in any form', () => {
    expect(read()).toEqual({
      enabled: true,
      intervalMs: 15_000,
      rejectionBackoffMs: 3_600_000,
    });
    expect(
      read({
        enabled: false,
        interval: { seconds: 30 },
        rejectionBackoff: 'PT10M',
      }),
    ).toEqual({
      enabled: false,
      intervalMs: 30_000,
      rejectionBackoffMs: 600_000,
    });
    expect(read({ interval: '5s' }).intervalMs).toBe(5000);
  });

  it('refuses an interval under a second, naming the key', () => {
    expect(() => read({ interval: { milliseconds: 200 } })).toThrow(
      'fusioninfer.autoscaler.interval: must be a duration of at least 1 s',
    );
  });
});

describe('the autoscaler against the development cluster', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  beforeEach(async () => {
    dev = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    client = new ClusterClient(devClusterConfig(dev.url));
  });
  afterEach(() => dev.close());

  /** Writes the API server saw (every resource but Leases and Events: leader election and the scheduler's events). */
  const writes = () =>
    Object.entries(dev.api.requestCounts)
      .filter(([k]) => /^(create|update|patch|delete) /.test(k))
      .filter(([k]) => !/ (leases|events)$/.test(k))
      .reduce((s, [, n]) => s + n, 0);

  const autoscaling = async (
    backend: { get(path: string): any },
    name: string,
  ): Promise<AutoscalingResponse> => {
    const r = await backend.get(`${SVC}/${name}/autoscaling`);
    expect(r.status).toBe(200);
    expectContract(r.body);
    return r.body;
  };

  it('advisory: a recommendation within 30 s of the signal crossing its target (default 15 s interval), and zero writes', async () => {
    const backend = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      config: {
        reconciler: { leaseDurationSeconds: 1 },
        // Every read scrapes afresh, so the test sees the crossing when it happens.
        metrics: { minIntervalSeconds: 0, pollIntervalSeconds: 0 },
      },
    });
    await client.apply(
      service('adv', {
        inference: {
          minReplicas: 1,
          maxReplicas: 4,
          signal: 'waitingRequests',
          target: 1,
        },
      }),
      { fieldManager: 'kubectl' },
    );
    // Ready, and a first decision at rest: nothing waits, one replica is right.
    const rest = await waitFor(
      async () => {
        const a = await autoscaling(backend, 'adv');
        return a.autoscaler.state === 'deciding' && a.roles[0]?.next === 1 && a;
      },
      { timeoutMs: 40_000, intervalMs: 250, what: 'a first decision' },
    );
    expect(rest.roles[0]).toMatchObject({
      role: 'inference',
      mode: 'advisory',
      signal: 'waitingRequests',
      metric: 'vllm:num_requests_waiting',
      target: 1,
      actual: 1,
      recommendation: 1,
    });
    const before = writes();
    const generation = (await client.get<InferenceService>(
      KINDS.InferenceService,
      'default',
      'adv',
    ))!.metadata.generation;
    const load = runLoad({
      kubeConfig: client.kubeConfig,
      namespace: 'default',
      service: 'adv',
      // About 3.8 requests per second is what one replica serves here: 6 make a queue that lasts about 30 s, longer
      // than two decision intervals.
      rps: 6,
      durationSeconds: 20,
      maxTokens: 48,
    });
    try {
      // The moment the signal crosses its target, as the model server reports it.
      await waitFor(
        async () => {
          const m = await backend.get(`${SVC}/adv/metrics`);
          const role = m.body.roles?.inference;
          return role?.reporting > 0 && role.waiting / role.reporting > 1;
        },
        {
          timeoutMs: 20_000,
          intervalMs: 100,
          what: 'the queue to pass 1 per replica',
        },
      );
      const crossed = Date.now();
      const decided = await waitFor(
        async () => {
          const a = await autoscaling(backend, 'adv');
          return (
            Date.parse(a.decidedAt ?? '') >= crossed - 1000 &&
            (a.roles[0].recommendation ?? 0) > 1 &&
            a
          );
        },
        {
          timeoutMs: 40_000,
          intervalMs: 250,
          what: 'a recommendation above 1',
        },
      );
      const latency = Date.now() - crossed;
      expect(latency).toBeLessThanOrEqual(30_000);
      const role = decided.roles[0];
      expect(role.value).toBeGreaterThan(1);
      expect(role.actual).toBe(1);
      expect(role.next).toBeGreaterThan(1);
      expect(role.lastAction).toBeUndefined();
      expect(role.summary).toMatch(
        /^requests waiting per replica [\d.]+ against a target of 1: would scale 1 → \d replicas \(advisory: nothing is written\)$/,
      );
    } finally {
      await load;
    }
    // Advisory: the API server saw no write at all, and the service is as it was.
    expect(writes() - before).toBe(0);
    const after = await client.get<InferenceService>(
      KINDS.InferenceService,
      'default',
      'adv',
    );
    expect(after!.metadata.generation).toBe(generation);
    expect(after!.spec.roles[0].replicas).toBe(1);
    await backend.stop();
  }, 120_000);

  it('acting: scales the role on the InferenceService under load (the reconciler then renders the replicas)', async () => {
    const backend = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      config: {
        reconciler: { leaseDurationSeconds: 1 },
        metrics: { minIntervalSeconds: 0, pollIntervalSeconds: 0 },
        autoscaler: { interval: '1s' },
      },
    });
    await client.apply(
      service('act', {
        inference: {
          minReplicas: 1,
          maxReplicas: 3,
          signal: 'waitingRequests',
          target: 1,
          mode: 'acting',
          cooldownSeconds: 0,
        },
      }),
      { fieldManager: 'kubectl' },
    );
    await waitFor(
      async () => (await autoscaling(backend, 'act')).roles[0]?.next === 1,
      { timeoutMs: 30_000, intervalMs: 250, what: 'a first decision' },
    );
    const load = runLoad({
      kubeConfig: client.kubeConfig,
      namespace: 'default',
      service: 'act',
      rps: 4,
      durationSeconds: 6,
      maxTokens: 48,
    });
    try {
      const scaled = await waitFor(
        async () => {
          const s = await client.get<InferenceService>(
            KINDS.InferenceService,
            'default',
            'act',
          );
          return (s!.spec.roles[0].replicas ?? 1) > 1 && s;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: 'a scale-up on the spec' },
      );
      // Written by this suite's writer (its field manager), on the InferenceService.
      expect(
        (scaled.metadata as any).managedFields.map((f: any) => f.manager),
      ).toContain('backstage-fusioninfer');
      const a = await autoscaling(backend, 'act');
      expect(a.roles[0].lastAction).toMatchObject({
        outcome: 'scaled',
        message: expect.stringMatching(/^inference 1 → [23]$/),
      });
      // The reconciler renders the new replica.
      await waitFor(
        () => client.get(KINDS.LeaderWorkerSet, 'default', 'act-inference-1'),
        { timeoutMs: 15_000, what: 'the second LeaderWorkerSet' },
      );
    } finally {
      await load;
    }
    await backend.stop();
  }, 120_000);

  it('above the approval threshold: files a request as "autoscaler" that executes as the autoscaler, re-checked against the live policy, and runs again once it allows it', async () => {
    const knex: Knex = await databases.init('SQLITE_3');
    const config = (autoscaler: object) => ({
      reconciler: { leaseDurationSeconds: 1 },
      metrics: { minIntervalSeconds: 0, pollIntervalSeconds: 0 },
      autoscaler,
      approvals: { maxGpusWithoutApproval: 1 },
      projects: {
        'team-a': {
          owners: ['group:default/team-a'],
          destinations: [{ cluster: 'dev', namespaces: ['default'] }],
          gpuQuota: { dev: 2 },
        },
      },
    });
    const policy = (mode: string) => ({
      inference: {
        minReplicas: 1,
        maxReplicas: 3,
        signal: 'waitingRequests',
        target: 1,
        mode,
      },
    });
    const first = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      database: knex,
      config: config({ interval: '1s' }),
    });
    await client.apply(service('held', policy('acting')), {
      fieldManager: 'kubectl',
    });
    await waitFor(
      async () => (await autoscaling(first, 'held')).roles[0]?.next === 1,
      { timeoutMs: 30_000, intervalMs: 250, what: 'a first decision' },
    );
    const load = runLoad({
      kubeConfig: client.kubeConfig,
      namespace: 'default',
      service: 'held',
      rps: 4,
      durationSeconds: 6,
      maxTokens: 48,
    });
    let held: AutoscalingResponse;
    try {
      held = await waitFor(
        async () => {
          const a = await autoscaling(first, 'held');
          return a.approval?.status === 'pending' && a;
        },
        {
          timeoutMs: 30_000,
          intervalMs: 250,
          what: "the autoscaler's approval request",
        },
      );
      // Stopped while the load still asks for more: once the queue drains, the autoscaler would withdraw it.
      await first.stop();
    } finally {
      await load;
    }
    // The quota (2 GPUs) capped the recommendation (3), and 2 GPUs need approval.
    expect(held.roles[0].lastAction).toMatchObject({
      outcome: 'approval-requested',
      approvalId: held.approval!.id,
    });
    expect(held.roles[0].lastAction!.message).toMatch(
      /^inference 1 → 2 needs approval \(2 GPUs requested; more than 1 need approval\)/,
    );
    // Nothing was scaled while it waits.
    expect(
      (await client.get<InferenceService>(
        KINDS.InferenceService,
        'default',
        'held',
      ))!.spec.roles[0].replicas,
    ).toBe(1);

    // The owners make the policy advisory before anybody approves: the approved request changes nothing.
    await client.apply(service('held', policy('advisory')), {
      fieldManager: 'kubectl',
    });
    const second = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      database: knex,
      config: config({ enabled: false }),
    });
    const request = (await second.get(`/approvals/${held.approval!.id}`)).body;
    expect(request).toMatchObject({
      requestedBy: 'autoscaler',
      action: 'scale',
      status: 'pending',
      entityRef: 'component:default/held.default.dev',
    });
    const approved = await second.post(
      `/approvals/${held.approval!.id}/decision`,
      { approve: true },
      'user:default/approver',
    );
    expect(approved.status).toBe(200);
    expect(approved.body.execution).toMatchObject({
      state: 'failed',
      message: expect.stringContaining(
        'the autoscaler may not scale role inference of dev/default/held: its autoscaling is advisory; nothing applied',
      ),
    });
    expect(
      (await client.get<InferenceService>(
        KINDS.InferenceService,
        'default',
        'held',
      ))!.spec.roles[0].replicas,
    ).toBe(1);
    // Acting again: the approver runs it again, and it applies — as the autoscaler, no member of any team.
    await client.apply(service('held', policy('acting')), {
      fieldManager: 'kubectl',
    });
    const again = await second.post(
      `/approvals/${held.approval!.id}/retry`,
      {},
      'user:default/approver',
    );
    expect(again.status).toBe(200);
    expect(again.body.execution).toMatchObject({ state: 'applied' });
    expect(
      (await client.get<InferenceService>(
        KINDS.InferenceService,
        'default',
        'held',
      ))!.spec.roles[0].replicas,
    ).toBe(2);
    // The approval page shows the autoscaler as the requester.
    const listed = await second.get('/approvals?requestedBy=autoscaler');
    expect(listed.body.items.map((a: any) => a.requestedBy)).toEqual([
      'autoscaler',
    ]);
    // Its decision and state are in the database: the second instance answers them without deciding itself.
    const view = await autoscaling(second, 'held');
    expect(view.autoscaler.state).toBe('disabled');
    expect(view.roles[0].lastAction?.outcome).toBe('approval-requested');
    await second.stop();
    await knex.destroy();
  }, 180_000);
});
