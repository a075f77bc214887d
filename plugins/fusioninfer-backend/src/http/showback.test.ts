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

import { TestDatabases } from '@backstage/backend-test-utils';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  ServiceShowbackResponse,
  ShowbackResponse,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import {
  FusionInferTestBackend,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';
import { fusioninferPlugin } from '../plugin';
import { UsageStore } from '../showback/UsageStore';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const H100 = 'NVIDIA-H100-80GB-HBM3';
const gpuSeconds = (seconds: number) => [
  {
    resource: 'nvidia.com/gpu',
    product: H100,
    seconds,
    idleSeconds: 0,
    unmeasuredSeconds: 0,
  },
];

describe('GET /showback and GET …/showback', () => {
  let dev: DevCluster;
  let backend: FusionInferTestBackend;
  beforeAll(async () => {
    dev = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    const client = new ClusterClient(devClusterConfig(dev.url));
    await client.apply(
      loadExample('monolithic-no-router.yaml', {
        name: 'a',
        namespace: 'default',
        annotations: { 'backstage.io/entity-ref': 'component:default/a' },
      }),
      { fieldManager: 'kubectl' },
    );
    await client.apply(
      loadExample('monolithic-no-router.yaml', {
        name: 'b',
        namespace: 'default',
        annotations: { 'fusioninfer.io/owner': 'group:default/team-b' },
      }),
      { fieldManager: 'kubectl' },
    );
    const knex = await databases.init('SQLITE_3');
    backend = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      database: knex,
      config: {
        // The reconciler creates the pods whose GPUs are "held now"; the recorder is the unit test's.
        reconciler: { leaseDurationSeconds: 1 },
        showback: {
          currency: 'USD',
          prices: [{ resource: 'nvidia.com/gpu', product: H100, perHour: 4 }],
          recorder: { enabled: false },
        },
        projects: {
          'team-a': {
            owners: ['group:default/team-a'],
            destinations: [{ cluster: 'dev', namespaces: ['default'] }],
            gpuQuota: { dev: 16 },
            budget: { monthly: 10, currency: 'USD' },
          },
          'team-b': {
            owners: ['group:default/team-b'],
            destinations: [{ cluster: 'dev', namespaces: ['default'] }],
          },
        },
      },
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'a', namespace: 'default' },
          spec: {
            type: 'service',
            owner: 'group:default/team-a',
            lifecycle: 'x',
          },
        },
      ],
      // Bob may read only service a.
      permissions: {
        authorize: ({ user, resourceRef }) =>
          user !== 'user:default/bob' || resourceRef === 'component:default/a',
      },
    });
    // Usage as the recorder stores it: an hour of one H100 for a, half an hour of two for b, and an hour of one for
    // a deleted service of team-a.
    const store = await UsageStore.create(knex, { skipMigrations: true });
    const start = Date.now() - 2 * 3_600_000;
    const sample = (seconds: number, unitSeconds: number) => ({
      start,
      seconds,
      accelerators: gpuSeconds(unitSeconds),
      promptTokens: 900_000,
      generationTokens: 100_000,
      requests: 1000,
    });
    await store.add([
      {
        cluster: 'dev',
        namespace: 'default',
        name: 'a',
        entityRef: 'component:default/a',
        team: 'group:default/team-a',
        project: 'team-a',
        sample: sample(3600, 3600),
      },
      {
        cluster: 'dev',
        namespace: 'default',
        name: 'b',
        entityRef: 'component:default/b.default.dev',
        team: 'group:default/team-b',
        project: 'team-b',
        sample: sample(1800, 3600),
      },
      {
        cluster: 'dev',
        namespace: 'default',
        name: 'gone',
        entityRef: 'component:default/gone.default.dev',
        team: 'group:default/team-a',
        project: 'team-a',
        sample: sample(3600, 3600),
      },
    ]);
  }, 60000);
  afterAll(() => dev.close());

  it('answers per service and per team, each team the exact sum of its services, with budget and quota', async () => {
    const body: ShowbackResponse = await waitFor(async () => {
      const r = await backend.get('/showback');
      // a and b hold their GPU once the reconciler's pods are bound and cached
      return (
        r.status === 200 &&
        r.body.services.filter((s: any) => s.gpusNow === 1).length === 2 &&
        r.body
      );
    }, 20_000);
    expect(body).toMatchObject({
      source: 'fusioninfer',
      costBasis: 'allocation',
      currency: 'USD',
      errors: [],
    });
    expect(
      body.services.map(s => [
        s.name,
        s.team,
        s.project,
        s.totalCostMicros,
        s.gpusNow,
        s.costPerHourNow,
      ]),
    ).toEqual([
      ['a', 'group:default/team-a', 'team-a', 4_000_000, 1, 4],
      ['b', 'group:default/team-b', 'team-b', 4_000_000, 1, 4],
      ['gone', 'group:default/team-a', 'team-a', 4_000_000, 0, 0],
    ]);
    const a = body.services[0];
    expect(a).toMatchObject({
      gpuHours: 1,
      accelerators: [
        {
          resource: 'nvidia.com/gpu',
          product: H100,
          gpuHours: 1,
          pricePerHour: 4,
          priceSource: 'product',
        },
      ],
      promptTokens: 900_000,
      generationTokens: 100_000,
      costPerMillionTokens: 4,
      allocationMethod: 'multiplier',
      approved: { gpus: 1, costPerHour: 4 },
      monthToDate: { totalCostMicros: 4_000_000 },
    });
    const [teamA, teamB] = body.teams;
    expect(teamA).toMatchObject({
      team: 'group:default/team-a',
      project: 'team-a',
      services: 2,
      totalCostMicros: 8_000_000,
      costPerHourNowMicros: 4_000_000,
      budget: {
        monthly: 10,
        currency: 'USD',
        spentShare: 0.8,
        status: 'warning',
      },
      quota: { gpus: 16 },
    });
    expect(teamB).toMatchObject({
      team: 'group:default/team-b',
      services: 1,
      totalCostMicros: 4_000_000,
    });
    expect(teamB.budget).toBeUndefined();
    for (const t of body.teams)
      expect(t.totalCostMicros).toBe(
        body.services
          .filter(s => s.team === t.team)
          .reduce((x, s) => x + s.totalCostMicros, 0),
      );
  });

  it('shows only what the caller may read, and one team when asked', async () => {
    const bob: ShowbackResponse = (
      await backend.get('/showback', 'user:default/bob')
    ).body;
    expect(bob.services.map(s => s.name)).toEqual(['a']);
    expect(bob.teams.map(t => [t.team, t.totalCostMicros])).toEqual([
      ['group:default/team-a', 4_000_000],
    ]);
    const teamB: ShowbackResponse = (
      await backend.get('/showback?team=group:default/team-b')
    ).body;
    expect(teamB.services.map(s => s.name)).toEqual(['b']);
    expect(teamB.teams.map(t => t.team)).toEqual(['group:default/team-b']);
  });

  it('answers one service, a deleted one with usage too, and 403 / 404 / 400 as the routes say', async () => {
    const one = await backend.get(
      '/clusters/dev/namespaces/default/services/a/showback',
    );
    expect(one.status).toBe(200);
    expect((one.body as ServiceShowbackResponse).service).toMatchObject({
      name: 'a',
      totalCostMicros: 4_000_000,
    });
    const gone = await backend.get(
      '/clusters/dev/namespaces/default/services/gone/showback',
    );
    expect(gone.status).toBe(200);
    expect(gone.body.service).toMatchObject({
      name: 'gone',
      gpusNow: 0,
      projectedMonth: { totalCostMicros: 4_000_000 },
    });
    // Bob may not read b: the same 403 whether it exists or not.
    for (const name of ['b', 'never'])
      expect(
        (
          await backend.get(
            `/clusters/dev/namespaces/default/services/${name}/showback`,
            'user:default/bob',
          )
        ).status,
      ).toBe(403);
    expect(
      (
        await backend.get(
          '/clusters/dev/namespaces/default/services/never/showback',
        )
      ).status,
    ).toBe(404);
    const tooLong = await backend.get(
      '/showback?from=2020-01-01T00:00:00Z&to=2020-03-01T00:00:00Z',
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/at most 45 days/);
    expect((await backend.get('/showback?from=yesterday')).status).toBe(400);
    expect((await backend.get('/showback?team=llm-apps')).status).toBe(400);
  });

  it('answers 503 when showback is not configured', async () => {
    const bare = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
    });
    const r = await bare.get('/showback');
    expect(r.status).toBe(503);
    expect(r.body.error.message).toMatch(/fusioninfer.showback/);
    await bare.stop();
  });
});
