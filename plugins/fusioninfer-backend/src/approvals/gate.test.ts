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

import request from 'supertest';
import { Knex } from 'knex';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import { devClusterConfig, loadExample } from '@fusioninfer/test-utils';
import {
  as,
  startFusionInferTestBackend,
  TestPolicy,
} from '@fusioninfer/test-utils/backend';
import {
  fusioninferRoutes,
  specHash,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from '../plugin';
import { ApprovalStore } from './ApprovalStore';

// SQLite always; PostgreSQL 15 when a server is configured (scripts/test.sh starts one).
const ids: TestDatabaseId[] = ['SQLITE_3'];
if (process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING)
  ids.push('POSTGRES_15');
const databases = TestDatabases.create({ ids });

const API = '/api/fusioninfer';
const ALICE = as('user:default/alice');
const CAROL = as('user:default/carol');
const DAVE = as('user:default/dave');

/** Checks a real answer against the route's declared response schema for its status. */
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

/** A one-role service with `gpus` GPUs (one per replica). */
const svc = (name: string, gpus: number, extra: object = {}) => {
  const m = loadExample('monolithic-no-router.yaml') as any;
  m.metadata = { name, ...extra };
  m.spec.roles[0].replicas = gpus;
  return m;
};

describe.each(databases.eachSupportedId())(
  'approval gate on %p',
  databaseId => {
    let dev: DevCluster;
    let client: ClusterClient;
    let knex: Knex;
    beforeAll(async () => {
      dev = await startDevCluster({ simulate: false });
      client = new ClusterClient(devClusterConfig(dev.url));
      knex = await databases.init(databaseId);
    }, 60000);
    afterAll(async () => {
      await dev.close();
    });

    /** Server-side applies and merge patches of InferenceServices seen by the API server (the reconciler is off). */
    const writes = () =>
      (dev.api.requestCounts['patch inferenceservices'] ?? 0) +
      (dev.api.requestCounts['create inferenceservices'] ?? 0) +
      (dev.api.requestCounts['update inferenceservices'] ?? 0);

    const start = (
      options: { permissions?: TestPolicy; approvals?: object } = {},
    ) =>
      startFusionInferTestBackend({
        plugin: fusioninferPlugin,
        cluster: dev,
        config: {
          approvals: { maxGpusWithoutApproval: 2, ...options.approvals },
        },
        permissions: options.permissions,
        database: knex,
      });

    it('applies what the policy allows and holds what it does not (202, nothing changed, retries reuse the request)', async () => {
      const { server } = await start();
      const small = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('small', 2),
        });
      expect(small.status).toBe(200);
      expect(small.body).toMatchObject({
        outcome: 'applied',
        created: true,
        service: { cluster: 'dev', namespace: 'default', name: 'small' },
        entityRef: 'component:default/small.default.dev',
      });
      const live = await client.get<any>(
        KINDS.InferenceService,
        'default',
        'small',
      );
      expect(live.metadata.managedFields.map((f: any) => f.manager)).toContain(
        'backstage-fusioninfer',
      );

      // Growth over the threshold through every path is held: apply, scale.
      const before = writes();
      const big = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('big', 8),
          taskId: 't1',
        });
      expect(big.status).toBe(202);
      expect(big.body).toMatchObject({
        outcome: 'approval-required',
        reasons: ['8 GPUs requested; more than 2 need approval'],
        approval: {
          status: 'pending',
          action: 'create',
          requestedBy: 'user:default/alice',
          taskId: 't1',
        },
      });
      expect(big.body.approval.specHash).toBe(
        specHash(
          (
            await request(server).get(
              `${API}/approvals/${big.body.approval.id}`,
            )
          ).body.manifest,
        ),
      );
      const again = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('big', 8),
          taskId: 't1',
        });
      expect(again.status).toBe(202);
      expect(again.body.approval.id).toBe(big.body.approval.id);
      const scale = await request(server)
        .post(`${API}/clusters/dev/namespaces/default/services/small/scale`)
        .set(ALICE)
        .send({ role: 'inference', replicas: 50 });
      expect(scale.status).toBe(202);
      expect(scale.body.approval.action).toBe('scale');
      expect(writes()).toBe(before);
      expect(
        await client.get(KINDS.InferenceService, 'default', 'big'),
      ).toBeUndefined();
      expect(
        (await client.get<any>(KINDS.InferenceService, 'default', 'small')).spec
          .roles[0].replicas,
      ).toBe(2);
      // Shrinking is never held; a dry run stores nothing.
      const down = await request(server)
        .post(`${API}/clusters/dev/namespaces/default/services/small/scale`)
        .set(ALICE)
        .send({ role: 'inference', replicas: 1 });
      expect(down.status).toBe(200);
      const dry = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('dry', 8),
          dryRun: true,
        });
      expect(dry.body).toMatchObject({
        outcome: 'dry-run',
        approvalRequired: true,
      });
      expect(
        (await request(server).get(`${API}/approvals?name=dry`)).body
          .totalCount,
      ).toBe(0);
    }, 60000);

    it('refuses a service that belongs to another entity or manager unless update, and applies children with owner references', async () => {
      const { server } = await start();
      await client.apply(svc('foreign', 1), { fieldManager: 'kubectl' });
      const refused = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('foreign', 2),
        });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/managed by kubectl/);
      const taken = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('foreign', 2),
          update: true,
        });
      expect(taken.status).toBe(200);
      expect(taken.body.created).toBe(false);
      const otherEntity = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('foreign', 2, {
            annotations: {
              'backstage.io/entity-ref': 'component:default/elsewhere',
            },
          }),
        });
      expect(otherEntity.status).toBe(409);
      expect(otherEntity.body.error.message).toMatch(
        /belongs to component:default\/foreign\.default\.dev/,
      );
      const mismatch = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          entityRef: 'component:default/a',
          manifest: svc('x1', 1, {
            annotations: { 'backstage.io/entity-ref': 'component:default/b' },
          }),
        });
      expect(mismatch.status).toBe(400);
      const withChildren = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('kids', 1),
          children: true,
        });
      expect(withChildren.status).toBe(200);
      expect(withChildren.body.children.map((c: any) => c.kind)).toContain(
        'LeaderWorkerSet',
      );
      const lws = await client.get<any>(
        KINDS.LeaderWorkerSet,
        'default',
        'kids-inference-0',
      );
      expect(lws.metadata.ownerReferences[0]).toMatchObject({
        kind: 'InferenceService',
        uid: withChildren.body.service.uid,
        controller: true,
      });
    }, 60000);

    it('applies an approved request exactly once, even when two people decide at once', async () => {
      const { server, notifications: sent } = await start();
      const held = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('twice', 4),
        });
      const id = held.body.approval.id;
      const self = await request(server)
        .post(`${API}/approvals/${id}/decision`)
        .set(ALICE)
        .send({ approve: true });
      expect(self.status).toBe(403);
      const before = writes();
      const [a, b] = await Promise.all([
        request(server)
          .post(`${API}/approvals/${id}/decision`)
          .set(CAROL)
          .send({ approve: true }),
        request(server)
          .post(`${API}/approvals/${id}/decision`)
          .set(DAVE)
          .send({ approve: true }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const winner = a.status === 200 ? a : b;
      expectContract('decideApproval', winner);
      expectContract('apply', held);
      expectContract(
        'getApproval',
        await request(server).get(`${API}/approvals/${id}`),
      );
      expectContract(
        'listApprovals',
        await request(server).get(`${API}/approvals`),
      );
      expect(winner.body).toMatchObject({
        status: 'approved',
        execution: { state: 'applied', message: 'created dev/default/twice' },
      });
      expect(writes() - before).toBe(1);
      const live = await client.get<any>(
        KINDS.InferenceService,
        'default',
        'twice',
      );
      expect(live.spec.roles[0].replicas).toBe(4);
      // A retried decision applies nothing more.
      const retry = await request(server)
        .post(`${API}/approvals/${id}/decision`)
        .set(CAROL)
        .send({ approve: true });
      expect(retry.status).toBe(409);
      expect(writes() - before).toBe(1);
      expect(sent.map(n => n.payload.title)).toEqual(
        expect.arrayContaining([
          'Approved: create dev/default/twice',
          'Applied: create dev/default/twice',
        ]),
      );
      // A changed manifest is a new request, not covered by the approval.
      const changed = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('twice', 6),
        });
      expect(changed.status).toBe(202);
      expect(changed.body.approval.id).not.toBe(id);
    }, 60000);

    it('applies nothing for rejected, cancelled or expired requests', async () => {
      const { server } = await start({ approvals: { ttlHours: 0.0001 } });
      const before = writes();
      const r1 = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('rejected', 4),
        });
      const rejected = await request(server)
        .post(`${API}/approvals/${r1.body.approval.id}/decision`)
        .set(CAROL)
        .send({ approve: false });
      expect(rejected.body.status).toBe('rejected');
      expect(rejected.body.execution).toBeUndefined();
      const r2 = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('cancelled', 4),
        });
      await request(server)
        .post(`${API}/approvals/${r2.body.approval.id}/cancel`)
        .set(ALICE);
      expect(
        (
          await request(server)
            .post(`${API}/approvals/${r2.body.approval.id}/decision`)
            .set(CAROL)
            .send({ approve: true })
        ).status,
      ).toBe(409);
      const r3 = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('expired', 4),
        });
      await new Promise(r => setTimeout(r, 500)); // ttl 0.36 s
      const late = await request(server)
        .post(`${API}/approvals/${r3.body.approval.id}/decision`)
        .set(CAROL)
        .send({ approve: true });
      expect(late.status).toBe(409);
      expect(late.body.error.message).toMatch(/expired/);
      expect(writes()).toBe(before);
      for (const n of ['rejected', 'cancelled', 'expired'])
        expect(
          await client.get(KINDS.InferenceService, 'default', n),
        ).toBeUndefined();
    }, 60000);

    it('a restart between approval and apply applies the request exactly once', async () => {
      const first = await start();
      const held = await request(first.server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('restart', 4),
        });
      const id = held.body.approval.id;
      await first.stop();
      // The decision was committed, then the process died before applying.
      const store = await ApprovalStore.create(knex);
      await store.decide(id, { approve: true, by: 'user:default/carol' });
      const before = writes();
      const second = await start();
      const after = await request(second.server).get(`${API}/approvals/${id}`);
      expect(after.body.execution).toMatchObject({ state: 'applied' });
      expect(writes() - before).toBe(1);
      expect(
        await client.get(KINDS.InferenceService, 'default', 'restart'),
      ).toBeDefined();
      await second.stop();
      await start(); // a third start finds nothing left to do
      expect(writes() - before).toBe(1);
    }, 60000);

    it('lists approvals under a conditional decision with full pages and an exact total', async () => {
      const { server } = await start({
        permissions: {
          authorize: () => true,
          conditional: {
            pluginId: 'fusioninfer',
            resourceType: 'fusioninfer-approval',
            conditions: {
              anyOf: [
                {
                  rule: 'IS_REQUESTER',
                  resourceType: 'fusioninfer-approval',
                  params: { claims: ['user:default/erin'] },
                },
              ],
            },
          },
        },
      });
      // 7 requests by erin among 21.
      for (let i = 0; i < 21; i++) {
        const user = i % 3 === 0 ? 'user:default/erin' : 'user:default/frank';
        const r = await request(server)
          .post(`${API}/approvals`)
          .set(as(user))
          .send({
            cluster: 'dev',
            namespace: 'default',
            manifest: svc(`page-${i}`, 1),
          });
        expect(r.status).toBe(201);
      }
      const pages: any[] = [];
      for (let offset = 0; offset < 9; offset += 3)
        pages.push(
          (
            await request(server)
              .get(`${API}/approvals?name=&limit=3&offset=${offset}`)
              .set(as('user:default/erin'))
          ).body,
        );
      expect(pages.map(p => p.items.length)).toEqual([3, 3, 1]);
      expect(pages.map(p => p.totalCount)).toEqual([7, 7, 7]);
      expect(
        pages
          .flatMap(p => p.items)
          .every((i: any) => i.requestedBy === 'user:default/erin'),
      ).toBe(true);
      expect(pages[0].items[0].manifest).toBeUndefined();
    }, 60000);
    it('holds a strategy change under a namespace rule and applies it only onto the generation it was made for', async () => {
      await client.apply(
        loadExample('monolithic-router-qwen.yaml', {
          name: 'routed',
          namespace: 'default',
        }),
        { fieldManager: 'kubectl' },
      );
      const { server } = await start({
        approvals: { namespaces: ['default'] },
      });
      const url = `${API}/clusters/dev/namespaces/default/services/routed`;
      const s1 = await request(server)
        .post(`${url}/strategy`)
        .set(ALICE)
        .send({ strategy: 'queue-size' });
      expect(s1.status).toBe(202);
      expectContract('setStrategy', s1);
      expect(s1.body.reasons).toEqual(['namespace default requires approval']);
      const s2 = await request(server)
        .post(`${url}/strategy`)
        .set(ALICE)
        .send({ strategy: 'kv-cache-utilization' });
      expect(s2.status).toBe(202);
      const ok = await request(server)
        .post(`${API}/approvals/${s1.body.approval.id}/decision`)
        .set(CAROL)
        .send({ approve: true });
      expect(ok.body.execution.state).toBe('applied');
      const live = await client.get<any>(
        KINDS.InferenceService,
        'default',
        'routed',
      );
      expect(
        live.spec.roles.find((r: any) => r.componentType === 'router').strategy,
      ).toBe('queue-size');
      // The second request was computed on the generation before the first change: it applies nothing.
      const stale = await request(server)
        .post(`${API}/approvals/${s2.body.approval.id}/decision`)
        .set(CAROL)
        .send({ approve: true });
      expect(stale.body.execution).toMatchObject({
        state: 'failed',
        message: expect.stringMatching(/changed since the request/),
      });
      const after = await client.get<any>(
        KINDS.InferenceService,
        'default',
        'routed',
      );
      expect(after.metadata.generation).toBe(live.metadata.generation);
    }, 60000);

    it('lets requesters approve their own requests only when allowSelfApproval is configured', async () => {
      const { server } = await start({
        approvals: { allowSelfApproval: true },
      });
      const held = await request(server)
        .post(`${API}/apply`)
        .set(ALICE)
        .send({
          cluster: 'dev',
          namespace: 'default',
          manifest: svc('selfish', 4),
        });
      const own = await request(server)
        .post(`${API}/approvals/${held.body.approval.id}/decision`)
        .set(ALICE)
        .send({ approve: true });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({
        decidedBy: 'user:default/alice',
        execution: { state: 'applied' },
      });
    }, 60000);
  },
);
