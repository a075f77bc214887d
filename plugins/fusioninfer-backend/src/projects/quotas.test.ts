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

/*
 * Team project quotas raised by an approver (issue 15): REST against the real plugin and an in-process development
 * cluster, as in src/changes/governance.test.ts — Bob (team-b, owns his services), Mallory (team-m) and Carol (the
 * approver, the only one allowed fusioninfer.project.quota.update) under an owners-only policy.
 */

import request from 'supertest';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  devClusterConfig,
  minimalInferenceService,
  waitFor,
} from '@fusioninfer/test-utils';
import {
  as,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';
import { fusioninferRoutes } from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from '../plugin';
import {
  BOB,
  CAROL,
  MALLORY,
  MEMBERS,
  ownersOnlyPolicy,
  userEntity,
} from '../__testUtils__/governance';

const API = '/api/fusioninfer';
const OWNS: Record<string, string[]> = {
  [BOB]: ['q1', 'q2', 'q3'].map(n => `component:default/${n}.team-b.dev`),
  [MALLORY]: [],
  [CAROL]: [],
};
/** Projects each user may see (fusioninfer.project.read); everybody else sees all. */
const SEES: Record<string, string[]> = { [MALLORY]: ['team-m'] };

/** A service of `gpus` replicas with one GPU each, owned by team-b. */
const gpuSvc = (name: string, gpus: number) => {
  const m = minimalInferenceService(name, {
    namespace: 'team-b',
    replicas: gpus,
  }) as any;
  m.metadata.annotations = { 'fusioninfer.io/owner': 'group:default/team-b' };
  m.spec.roles[0].template.spec.containers[0].resources = {
    limits: { 'nvidia.com/gpu': '1' },
  };
  return m;
};

function expectContract(
  route: keyof typeof fusioninferRoutes,
  res: { status: number; body: unknown },
) {
  const schema = (fusioninferRoutes[route].responses as Record<number, any>)[
    res.status
  ];
  expect({ route, status: res.status, declared: !!schema }).toEqual({
    route,
    status: res.status,
    declared: true,
  });
  const r = schema.safeParse(res.body);
  expect(r.success ? [] : r.error.issues).toEqual([]);
}

describe('team project quotas raised by an approver', () => {
  let dev: DevCluster;
  let admin: ClusterClient;
  beforeAll(async () => {
    dev = await startDevCluster({
      simulate: false,
      namespaces: ['team-b', 'team-m'],
    });
    admin = new ClusterClient(devClusterConfig(dev.url));
  });
  afterAll(() => dev?.close());

  it('a quota refusal says who can raise it; the approver raises it, the held change executes; DELETE restores the configured quota', async () => {
    const { server } = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      config: {
        approvals: { maxGpusWithoutApproval: 2 },
        projects: {
          'team-b': {
            owners: ['group:default/team-b'],
            destinations: [{ cluster: 'dev', namespaces: ['team-b'] }],
            gpuQuota: { dev: 4 },
          },
          'team-m': {
            owners: ['group:default/team-m'],
            destinations: [{ cluster: 'dev', namespaces: ['team-m'] }],
          },
        },
      },
      permissions: ownersOnlyPolicy({
        owns: OWNS,
        approverOnly: [
          'fusioninfer.approval.decide',
          'fusioninfer.project.quota.update',
        ],
        sees: SEES,
      }),
      teams: MEMBERS,
      entities: [userEntity('bob'), userEntity('mallory'), userEntity('carol')],
    });
    const apply = (manifest: unknown, who = BOB) =>
      request(server)
        .post(`${API}/apply`)
        .set(as(who))
        .send({ cluster: 'dev', namespace: 'team-b', manifest });
    const quotaUrl = `${API}/projects/team-b/quotas/dev`;
    const teamB = async (who = BOB) => {
      const res = await request(server).get(`${API}/projects`).set(as(who));
      expectContract('listProjects', res);
      return res.body.items.find((p: any) => p.name === 'team-b');
    };

    expect((await apply(gpuSvc('q1', 2))).status).toBe(200);
    // What the project holds and may hold, as the writer counts it.
    const before = await waitFor(
      async () => {
        const p = await teamB();
        return p?.quotas[0]?.inUse === 2 && p;
      },
      { timeoutMs: 10000, what: 'team-b using 2 GPUs' },
    );
    expect(before).toEqual({
      name: 'team-b',
      owners: ['group:default/team-b'],
      destinations: [{ cluster: 'dev', namespaces: ['team-b'] }],
      quotas: [{ cluster: 'dev', limit: 4, configured: 4, inUse: 2 }],
    });
    // A project the caller may not read is not listed.
    const mallorySees = await request(server)
      .get(`${API}/projects`)
      .set(as(MALLORY));
    expect(mallorySees.body.items.map((p: any) => p.name)).toEqual(['team-m']);
    expect(mallorySees.body.items[0].quotas).toEqual([
      { cluster: 'dev', inUse: 0 },
    ]);

    // 2 + 3 GPUs of 4: refused, naming who can raise the quota.
    const refused = await apply(gpuSvc('q2', 3));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(
      /project team-b would hold 5 GPUs in cluster dev \(2 before this change\), over its quota of 4; an approver with fusioninfer\.project\.quota\.update can raise it/,
    );

    // Only an approver with the permission may change the quota: the owner and another team get 403.
    for (const who of [BOB, MALLORY]) {
      const put = await request(server)
        .put(quotaUrl)
        .set(as(who))
        .send({ gpus: 1000, reason: 'mine' });
      expect([who, put.status, put.body.error?.message]).toEqual([
        who,
        403,
        'not allowed: fusioninfer.project.quota.update',
      ]);
      expect((await request(server).delete(quotaUrl).set(as(who))).status).toBe(
        403,
      );
    }
    // The approver: unknown project or cluster is 404, a bad body 400 naming the field.
    expect(
      (
        await request(server)
          .put(`${API}/projects/nope/quotas/dev`)
          .set(as(CAROL))
          .send({ gpus: 8, reason: 'x' })
      ).status,
    ).toBe(404);
    expect(
      (
        await request(server)
          .put(`${API}/projects/team-b/quotas/gpu-z`)
          .set(as(CAROL))
          .send({ gpus: 8, reason: 'x' })
      ).status,
    ).toBe(404);
    for (const body of [
      { gpus: -1, reason: 'x' },
      { gpus: 100001, reason: 'x' },
      { gpus: 8, reason: ' ' },
      { gpus: 8 },
      { gpus: 8, reason: 'x', by: 'someone' },
    ]) {
      const bad = await request(server).put(quotaUrl).set(as(CAROL)).send(body);
      expect([body, bad.status]).toEqual([body, 400]);
    }

    const raised = await request(server)
      .put(quotaUrl)
      .set(as(CAROL))
      .send({ gpus: 8, reason: 'launch week' });
    expectContract('setProjectQuota', raised);
    expect(raised.body.quotas).toEqual([
      {
        cluster: 'dev',
        limit: 8,
        configured: 4,
        raised: {
          gpus: 8,
          reason: 'launch week',
          by: CAROL,
          at: expect.any(String),
        },
        inUse: 2,
      },
    ]);
    expect(Date.parse(raised.body.quotas[0].raised.at)).not.toBeNaN();

    // The same change is no longer refused: above the approval threshold it is held for a second person.
    const held = await apply(gpuSvc('q2', 3));
    expect(held.status).toBe(202);
    expect(held.body.approval.policy.quota).toEqual({
      cluster: 'dev',
      limit: 8,
      before: 2,
      after: 5,
    });

    // Back to the configured quota before it executes: the execution checks the quota in force and fails.
    const reset = await request(server).delete(quotaUrl).set(as(CAROL));
    expectContract('resetProjectQuota', reset);
    expect(reset.body.quotas).toEqual([
      { cluster: 'dev', limit: 4, configured: 4, inUse: 2 },
    ]);
    const approved = await request(server)
      .post(`${API}/approvals/${held.body.approval.id}/decision`)
      .set(as(CAROL))
      .send({ approve: true });
    expect(approved.status).toBe(200);
    expect(approved.body.execution).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(
        /over its quota of 4; an approver with fusioninfer\.project\.quota\.update can raise it/,
      ),
    });
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'q2'),
    ).toBeUndefined();

    // Raised again, the approver runs the approved request again and it applies.
    expect(
      (
        await request(server)
          .put(quotaUrl)
          .set(as(CAROL))
          .send({ gpus: 8, reason: 'launch week, for real' })
      ).status,
    ).toBe(200);
    const again = await request(server)
      .post(`${API}/approvals/${held.body.approval.id}/retry`)
      .set(as(CAROL));
    expect(again.status).toBe(200);
    expect(again.body.execution.state).toBe('applied');
    expect(
      await admin.get(KINDS.InferenceService, 'team-b', 'q2'),
    ).toBeDefined();
    const after = await waitFor(
      async () => {
        const p = await teamB();
        return p?.quotas[0]?.inUse === 5 && p;
      },
      { timeoutMs: 10000, what: 'team-b using 5 GPUs' },
    );
    expect(after.quotas[0]).toMatchObject({
      limit: 8,
      configured: 4,
      raised: { gpus: 8, reason: 'launch week, for real', by: CAROL },
      inUse: 5,
    });

    // DELETE restores the configured 4: the project is over it now, growth is refused, shrinking is not.
    expect((await request(server).delete(quotaUrl).set(as(CAROL))).status).toBe(
      200,
    );
    expect((await teamB()).quotas).toEqual([
      { cluster: 'dev', limit: 4, configured: 4, inUse: 5 },
    ]);
    const grow = await request(server)
      .post(`${API}/clusters/dev/namespaces/team-b/services/q1/scale`)
      .set(as(BOB))
      .send({ role: 'inference', replicas: 3 });
    expect(grow.status).toBe(403);
    expect(grow.body.error.message).toMatch(/over its quota of 4/);
    const shrink = await request(server)
      .post(`${API}/clusters/dev/namespaces/team-b/services/q1/scale`)
      .set(as(BOB))
      .send({ role: 'inference', replicas: 1 });
    expect(shrink.status).toBe(200);
    // Deleting a quota that is not raised changes nothing and answers the project.
    const noop = await request(server).delete(quotaUrl).set(as(CAROL));
    expect(noop.status).toBe(200);
    expect(noop.body.quotas[0]).toMatchObject({ limit: 4, configured: 4 });
  }, 60000);
});
