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
import { mockCredentials } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import {
  DOWN_CLUSTER,
  FusionInferTestBackendOptions,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';
import {
  errorResponseSchema,
  fusioninferOpenApiDocument,
  fusioninferRoutes,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from '../plugin';

const API = '/api/fusioninfer';
const SVC = `${API}/clusters/dev/namespaces/default/services/qwen-multi-node`;

/** Checks a real answer against the route's declared response schema for its status. */
function expectContract(
  route: keyof typeof fusioninferRoutes,
  res: { status: number; body: unknown },
) {
  const schema = (fusioninferRoutes[route].responses as Record<number, any>)[
    res.status
  ];
  if (!schema)
    throw new Error(
      `${route}: undeclared status ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`,
    );
  const r = schema.safeParse(res.body);
  if (!r.success)
    throw new Error(
      `${route}: the ${res.status} answer does not match its schema: ${JSON.stringify(r.error.issues.slice(0, 5))}`,
    );
}

describe('REST contract', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  beforeAll(async () => {
    dev = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    client = new ClusterClient(devClusterConfig(dev.url));
    await client.apply(
      loadExample('multi-node-router.yaml', {
        namespace: 'default',
        annotations: { 'backstage.io/entity-ref': 'component:default/qwen' },
      }),
      { fieldManager: 'kubectl' },
    );
    // A service of another team, named by an entity that its author controls.
    await client.apply(
      loadExample('monolithic-no-router.yaml', {
        name: 'secret-svc',
        namespace: 'default',
        annotations: {
          'backstage.io/entity-ref': 'component:default/team-b-app',
        },
      }),
      { fieldManager: 'kubectl' },
    );
  });
  afterAll(() => dev.close());

  /** The plugin reconciling `dev` beside a cluster that is down; `config` adds or replaces `fusioninfer.*` keys. */
  const start = (
    config: object = {},
    options: Partial<FusionInferTestBackendOptions> = {},
  ) =>
    startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      otherClusters: [DOWN_CLUSTER],
      config: { reconciler: { leaseDurationSeconds: 1 }, ...config },
      ...options,
    });
  const entities: Entity[] = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'qwen', namespace: 'default' },
      spec: { type: 'service', owner: 'alice', lifecycle: 'x' },
    },
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'attacker-app',
        namespace: 'default',
        annotations: {
          'fusioninfer.io/service':
            'dev/default/secret-svc, dev/default/qwen-multi-node',
        },
      },
      spec: { type: 'service', owner: 'mallory', lifecycle: 'x' },
    },
  ];

  it('every route answers what the contract declares (real responses from the development cluster)', async () => {
    const { server } = await start({}, { entities });
    const get = (p: string) => request(server).get(`${API}${p}`);
    const detail = await waitFor(
      async () => {
        const r = await request(server).get(SVC);
        return (
          r.status === 200 &&
          r.body.gang?.phase === 'Running' &&
          r.body.router?.epp?.ready &&
          r.body.roles[0].replicas[0].pods.length === 2 &&
          r
        );
      },
      { timeoutMs: 20000, what: 'a running service' },
    );
    expectContract('getService', detail);
    expect(detail.body.entityRef).toBe('component:default/qwen');
    expect(Date.parse(detail.body.createdAt)).not.toBeNaN();
    expectContract('listClusters', await get('/clusters'));
    const services = await get('/services');
    expectContract('listServices', services);
    expect(services.body.errors).toEqual([
      { cluster: 'down', message: 'cluster down is unavailable' },
    ]);
    expectContract('getChildren', await request(server).get(`${SVC}/children`));
    expectContract('getDiff', await request(server).get(`${SVC}/diff`));
    expectContract('getMetrics', await request(server).get(`${SVC}/metrics`));
    const pre = await request(server).get(`${SVC}/preflight`);
    expectContract('getPreflight', pre);
    // Its own pods count as free: the running service fits where it runs.
    expect(pre.body.gang).toMatchObject({ fits: true, pods: 2 });
    expectContract(
      'getEntityServices',
      await get('/entities/component/default/qwen/services'),
    );
    const strategy = await request(server)
      .post(`${SVC}/strategy`)
      .send({ strategy: 'queue-size' });
    expectContract('setStrategy', strategy);
    const scale = await request(server)
      .post(`${SVC}/scale`)
      .send({ role: 'inference', replicas: 1 });
    expectContract('scale', scale);
    const pause = await request(server)
      .post(`${SVC}/rollout`)
      .send({ role: 'inference', paused: true });
    expectContract('setRollout', pause);
    expect(pause.body).toMatchObject({ outcome: 'applied', paused: true });
    expect(JSON.parse(pause.body.annotation)).toEqual({
      inference: { paused: true },
    });
    // A canary command on a service without a canary policy: refused naming the annotation, nothing written.
    const noCanary = await request(server)
      .post(`${SVC}/canary`)
      .send({ action: 'rollback' });
    expect(noCanary.status).toBe(400);
    expect(noCanary.body.error.message).toMatch(
      /no canary policy \(the annotation fusioninfer.io\/canary\)/,
    );
    const badAction = await request(server)
      .post(`${SVC}/canary`)
      .send({ action: 'explode' });
    expect(badAction.status).toBe(400);
    expect(badAction.body.error.message).toMatch(/action/);
    // The detail now shows the role's rollout policy (configured, nothing under way).
    const paused = await get(SVC.slice(API.length));
    expectContract('getService', paused);
    expect(
      paused.body.roles.find((r: any) => r.name === 'inference').rollout,
    ).toMatchObject({ configured: true, active: false, paused: true });
    const dry = await request(server)
      .post(`${API}/apply`)
      .send({
        cluster: 'dev',
        namespace: 'default',
        manifest: loadExample('monolithic-no-router.yaml'),
        dryRun: true,
      });
    expectContract('apply', dry);
    expect(dry.body.outcome).toBe('dry-run');
    // GPU capacity from the node and pod caches: 4 nodes × 8 GPUs, the running service's pods hold some.
    expect(dry.body.capacity).toMatchObject({ totalGpus: 32, nodes: 4 });
    expect(dry.body.capacity.freeGpus).toBeLessThan(32);
    expect(dry.body.capacityFit).toMatchObject({ fits: true });
    expect(dry.body.preflight.gang).toMatchObject({ fits: true });
    // The development cluster's nodes label their GPUs as GPU feature discovery does.
    expect(dry.body.preflight.roles[0].findings).not.toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(/GPU memory unknown/),
      }),
    );
    expect(detail.body.gang.capacity).toMatchObject({
      totalGpus: 32,
      nodes: 4,
    });
    // Errors have the declared error shape.
    const bad = await request(server).post(`${SVC}/scale`).send({});
    expect(bad.status).toBe(400);
    expect(errorResponseSchema.safeParse(bad.body).success).toBe(true);
    // The OpenAPI document is served and is the one generated from the schemas.
    const doc = await get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body).toEqual(
      JSON.parse(JSON.stringify(fusioninferOpenApiDocument())),
    );
  }, 40000);

  it('project routes answer what the contract declares', async () => {
    const { server } = await start(
      {
        projects: {
          'team-a': {
            owners: ['group:default/team-a'],
            destinations: [
              { cluster: 'dev', namespaces: ['default'] },
              { cluster: 'down', namespaces: ['team-a'] },
            ],
            gpuQuota: { dev: 64 },
          },
        },
      },
      { entities },
    );
    const list = await request(server).get(`${API}/projects`);
    expectContract('listProjects', list);
    // The cluster that is down has no use to show and is named in errors, without its address.
    expect(list.body.items[0].quotas).toEqual([
      { cluster: 'dev', limit: 64, configured: 64, inUse: 0 },
      { cluster: 'down' },
    ]);
    expect(list.body.errors).toEqual([
      { cluster: 'down', message: 'cluster down is unavailable' },
    ]);
    const set = await request(server)
      .put(`${API}/projects/team-a/quotas/dev`)
      .send({ gpus: 96, reason: 'contract' });
    expectContract('setProjectQuota', set);
    expect(set.body.quotas[0]).toMatchObject({ limit: 96, configured: 64 });
    const reset = await request(server).delete(
      `${API}/projects/team-a/quotas/dev`,
    );
    expectContract('resetProjectQuota', reset);
    expect(reset.body.quotas[0].raised).toBeUndefined();
    const bad = await request(server)
      .put(`${API}/projects/team-a/quotas/dev`)
      .send({ gpus: 'many', reason: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^gpus: .*; reason: /);
  }, 30000);

  it('validates every input with a 400 naming the field, never a 500', async () => {
    const { server } = await start({ approvals: {} });
    const strategy = await request(server).post(`${SVC}/strategy`).send({});
    expect(strategy.status).toBe(400);
    expect(strategy.body.error.message).toMatch(/^strategy: /);
    const repeated = await request(server).get(
      `${API}/approvals?cluster=a&cluster=b`,
    );
    expect(repeated.status).toBe(400);
    expect(repeated.body.error.message).toMatch(/^cluster: /);
    expect(repeated.body.error.message).not.toMatch(/select|sqlite/i);
    const statuses = await request(server).get(
      `${API}/approvals?status=pending&status=approved`,
    );
    expect(statuses.status).toBe(400);
    expect(
      (await request(server).get(`${API}/approvals?limit=101`)).status,
    ).toBe(400);
    const unknownField = await request(server)
      .post(`${SVC}/scale`)
      .send({ role: 'inference', replicas: 1, force: true });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.message).toMatch(/force/);
    const longNs = await request(server).get(
      `${API}/clusters/dev/namespaces/${'a'.repeat(64)}/services/x`,
    );
    expect(longNs.status).toBe(400);
    expect(longNs.body.error.message).toMatch(/^namespace: /);
    // DNS-1035: service names start with a letter.
    expect(
      (
        await request(server).get(
          `${API}/clusters/dev/namespaces/default/services/1x`,
        )
      ).status,
    ).toBe(400);
    const notJson = await request(server)
      .post(`${SVC}/scale`)
      .set('Content-Type', 'application/json')
      .send('{"role":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/^body: not valid JSON/);
    // Body size limits: 16 KiB on small routes, about 1 MiB for manifests.
    const big = await request(server)
      .post(`${SVC}/scale`)
      .send({ role: 'x'.repeat(20000), replicas: 1 });
    expect(big.status).toBe(413);
    expect(big.body.error.message).toBe(
      'body: at most 16 KiB is accepted on this route',
    );
    const huge = await request(server)
      .post(`${API}/approvals/check`)
      .send({
        cluster: 'dev',
        namespace: 'default',
        manifest: { pad: 'x'.repeat(1200 * 1024) },
      });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toMatch(
      /^body: at most \d+ KiB is accepted on this route$/,
    );
    const mismatch = await request(server)
      .post(`${API}/approvals/check`)
      .send({
        cluster: 'dev',
        namespace: 'sandbox',
        manifest: {
          ...(loadExample('monolithic-no-router.yaml') as any),
          metadata: { name: 'm', namespace: 'prod' },
        },
      });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.message).toMatch(
      /^manifest\.metadata\.namespace: "prod" differs from namespace "sandbox"/,
    );
  }, 30000);

  it('authorizes before loading and never shows cluster internals', async () => {
    const { server } = await start();
    // An allowed caller learns what is missing; the down cluster's address never appears.
    expect(
      (
        await request(server).get(
          `${API}/clusters/nope/namespaces/default/services/x`,
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await request(server).get(
          `${API}/clusters/dev/namespaces/default/services/x`,
        )
      ).status,
    ).toBe(404);
    const down = await request(server).get(
      `${API}/clusters/down/namespaces/default/services/x`,
    );
    expect(down.status).toBe(503);
    expect(JSON.stringify(down.body)).not.toMatch(
      /127\.0\.0\.1|ECONNREFUSED|:1\b/,
    );
    const list = await request(server).get(`${API}/services`);
    expect(JSON.stringify(list.body.errors)).not.toMatch(/127\.0\.0\.1/);
  }, 30000);

  it('entity routes show a named service only to callers who may read it on its own entity', async () => {
    // mallory owns attacker-app (whose annotation names team B's secret-svc and alice's qwen-multi-node).
    const owners: Record<string, string> = {
      'component:default/attacker-app': 'user:default/mallory',
      'component:default/qwen': 'user:default/alice',
      'component:default/team-b-app': 'user:default/bob',
    };
    const { server } = await start(
      {},
      {
        entities,
        permissions: {
          authorize: ({ resourceRef, user }) =>
            !!resourceRef && owners[resourceRef] === user,
          conditional: 'deny',
        },
      },
    );
    const mallory = await request(server)
      .get(`${API}/entities/component/default/attacker-app/services`)
      .set(
        'Authorization',
        mockCredentials.user.header('user:default/mallory'),
      );
    expect(mallory.status).toBe(200);
    expect(mallory.body.items).toEqual([]);
    expect(JSON.stringify(mallory.body)).not.toMatch(/secret-svc-|inference-0/);
    const alice = await request(server)
      .get(`${API}/entities/component/default/qwen/services`)
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    expect(alice.body.items.map((i: any) => i.name)).toEqual([
      'qwen-multi-node',
    ]);
  }, 30000);

  it('POST /approvals/check needs fusioninfer.service.create and never renders hostile input (review H1)', async () => {
    const denied = await start(
      { approvals: {} },
      {
        permissions: {
          authorize: ({ permission }) =>
            permission !== 'fusioninfer.service.create',
        },
      },
    );
    const body = {
      cluster: 'dev',
      namespace: 'default',
      manifest: loadExample('monolithic-no-router.yaml'),
    };
    const refused = await request(denied.server)
      .post(`${API}/approvals/check`)
      .send(body);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      'not allowed: fusioninfer.service.create',
    );
    await denied.stop();

    const { server } = await start({ approvals: {} });
    // 32 roles × 10,000 replicas: 320,000 LeaderWorkerSets if rendered.
    const hostile = loadExample('monolithic-no-router.yaml') as any;
    const role = hostile.spec.roles[0];
    hostile.spec.roles = Array.from({ length: 32 }, (_, i) => ({
      ...role,
      name: `w${i}`,
      replicas: 10000,
    }));
    const t0 = Date.now();
    const [check, health] = await Promise.all([
      request(server)
        .post(`${API}/approvals/check`)
        .send({ ...body, manifest: hostile }),
      request(server).get(`${API}/health`),
    ]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(health.status).toBe(200);
    // Either refused by the limits or summarised by arithmetic; never expanded.
    expect([200, 400]).toContain(check.status);
    expect(check.status === 200 ? check.body.summary.gpus : 320000).toBe(
      320000,
    );
  }, 30000);

  it('refuses changes in namespaces the cluster does not manage (fusioninfer.clusters[].namespaces)', async () => {
    const { server } = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      clusterConfig: { namespaces: ['ml'] },
      config: { approvals: {} },
    });
    const body = {
      cluster: 'dev',
      namespace: 'default',
      manifest: loadExample('monolithic-no-router.yaml'),
    };
    for (const path of ['/apply', '/approvals/check', '/approvals']) {
      const r = await request(server).post(`${API}${path}`).send(body);
      expect({
        path,
        status: r.status,
        message: r.body.error?.message,
      }).toEqual({
        path,
        status: 400,
        message: expect.stringMatching(
          /^namespace: "default" is not managed in cluster dev/,
        ),
      });
    }
    // The service that exists in "default" is not there for this backend.
    expect((await request(server).get(SVC)).status).toBe(404);
    expect(
      (
        await request(server)
          .post(`${SVC}/scale`)
          .send({ role: 'inference', replicas: 1 })
      ).status,
    ).toBe(404);
  }, 30000);
});
