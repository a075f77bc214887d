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
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { MAX_SERVICE_ANNOTATION_REFS } from '@fusioninfer/plugin-fusioninfer-common';
import { fusioninferPlugin } from './plugin';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import {
  as,
  DENY_ALL,
  DOWN_CLUSTER,
  startFusionInferTestBackend,
  TestPolicy,
} from '@fusioninfer/test-utils/backend';

describe('fusioninfer backend plugin', () => {
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
  });
  afterAll(() => dev.close());

  /** The plugin reconciling `dev`, beside a cluster that is down. */
  const start = (
    options: { entities?: Entity[]; permissions?: TestPolicy } = {},
  ) =>
    startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      otherClusters: [DOWN_CLUSTER],
      config: { reconciler: { leaseDurationSeconds: 1 } },
      ...options,
    });

  it('reconciles, and serves services, details and rendered children to authenticated callers', async () => {
    const { server } = await start();
    const list = await request(server).get('/api/fusioninfer/services');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        cluster: 'dev',
        namespace: 'default',
        name: 'qwen-multi-node',
        entityRef: 'component:default/qwen',
      }),
    ]);
    expect(list.body.errors).toEqual([
      expect.objectContaining({ cluster: 'down' }),
    ]);
    const detail = await waitFor(async () => {
      const r = await request(server).get(
        '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node',
      );
      return (
        r.status === 200 &&
        r.body.gang?.phase === 'Running' &&
        r.body.roles[0].replicas[0].pods.length === 2 &&
        // both pods Ready: on a loaded machine the second comes a little later
        r.body.roles[0].replicas[0].pods.every((p: any) => p.ready) &&
        r.body.router?.epp?.ready &&
        r.body.router?.httpRoute &&
        r.body
      );
    });
    expect(detail.roles[0]).toMatchObject({
      name: 'inference',
      componentType: 'worker',
      status: { desiredReplicas: 1, nodesPerReplica: 2 },
    });
    expect(
      detail.roles[0].replicas[0].pods.map((p: any) => [
        p.name,
        p.leader,
        p.ready,
      ]),
    ).toEqual([
      ['qwen-multi-node-inference-0-0', true, true],
      ['qwen-multi-node-inference-0-0-1', false, true],
    ]);
    expect(detail.gang).toMatchObject({
      name: 'qwen-multi-node',
      minMember: 2,
      tasks: [{ task: 'inference-0', min: 2, scheduled: 2 }],
    });
    expect(detail.router).toMatchObject({
      strategy: 'prefix-cache',
      inferencePool: { name: 'qwen-multi-node-pool' },
      httpRoute: { name: 'qwen-multi-node-httproute' },
    });
    const children = await request(server).get(
      '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node/children',
    );
    expect(children.status).toBe(200);
    expect(children.body.summary.totals.gpus).toBe(2);
    expect(children.body.children.map((c: any) => c.kind)).toContain(
      'PodGroup',
    );
  }, 30000);

  it('scales a role (update permission) and the reconciler follows', async () => {
    const { server } = await start();
    const bad = await request(server)
      .post(
        '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node/scale',
      )
      .send({ role: 'router', replicas: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.name).toBe('InputError');
    const neg = await request(server)
      .post(
        '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node/scale',
      )
      .send({ role: 'inference', replicas: -1 });
    expect(neg.status).toBe(400);
    const ok = await request(server)
      .post(
        '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node/scale',
      )
      .send({ role: 'inference', replicas: 2 });
    expect({
      status: ok.status,
      body: ok.status === 200 ? undefined : ok.body,
    }).toEqual({ status: 200, body: undefined });
    expect(
      ok.body.roles.find((r: any) => r.name === 'inference').replicas,
    ).toBe(2);
    await waitFor(
      async () =>
        (
          await client.list(
            KINDS.LeaderWorkerSet,
            'default',
            'fusioninfer.io/service=qwen-multi-node',
          )
        ).length === 2,
    );
  }, 30000);

  it('finds the services of a catalog entity both ways, and names broken links', async () => {
    const entities: Entity[] = [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'qwen', namespace: 'default' },
        spec: { type: 'service', owner: 'me', lifecycle: 'x' },
      },
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'other',
          namespace: 'default',
          annotations: {
            'fusioninfer.io/service':
              'dev/default/qwen-multi-node, dev/default/missing, Bad/x',
          },
        },
        spec: { type: 'service', owner: 'me', lifecycle: 'x' },
      },
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'many',
          namespace: 'default',
          annotations: {
            'fusioninfer.io/service': Array.from(
              { length: 3000 },
              (_, i) => `dev/default/s-${i}`,
            ).join(','),
          },
        },
        spec: { type: 'service', owner: 'me', lifecycle: 'x' },
      },
    ];
    const { server } = await start({ entities });
    // An annotation naming thousands of services costs at most MAX_SERVICE_ANNOTATION_REFS lookups and details.
    const many = await request(server).get(
      '/api/fusioninfer/entities/component/default/many/services',
    );
    expect(many.status).toBe(200);
    expect(many.body.items).toHaveLength(MAX_SERVICE_ANNOTATION_REFS);
    expect(many.body.errors).toEqual(
      expect.arrayContaining([
        {
          message: `fusioninfer.io/service: names 3000 services; at most ${MAX_SERVICE_ANNOTATION_REFS} are read (the first ${MAX_SERVICE_ANNOTATION_REFS})`,
        },
      ]),
    );
    // Reverse link: the InferenceService names component:default/qwen.
    const mine = await request(server).get(
      '/api/fusioninfer/entities/Component/default/qwen/services',
    );
    expect(mine.status).toBe(200);
    expect(mine.body.entityRef).toBe('component:default/qwen');
    expect(mine.body.items).toEqual([
      expect.objectContaining({
        cluster: 'dev',
        namespace: 'default',
        name: 'qwen-multi-node',
        found: true,
      }),
    ]);
    expect(mine.body.items[0].service.roles[0].name).toBe('inference');
    expect(mine.body.errors).toEqual([
      expect.objectContaining({ cluster: 'down' }),
    ]);
    // Forward link: the entity's annotation; a missing service and a malformed item are reported, not fatal.
    const other = await request(server).get(
      '/api/fusioninfer/entities/component/default/other/services',
    );
    expect(other.status).toBe(200);
    expect(other.body.items.map((i: any) => [i.name, i.found])).toEqual([
      ['qwen-multi-node', true],
      ['missing', false],
    ]);
    expect(other.body.errors).toEqual(
      expect.arrayContaining([
        {
          message: expect.stringMatching(
            /"Bad\/x" is not <cluster>\/<namespace>\/<name>/,
          ),
        },
      ]),
    );
    expect(
      (
        await request(server).get(
          '/api/fusioninfer/entities/component/default/nobody/services',
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await request(server).get(
          '/api/fusioninfer/entities/component/default/bad name/services',
        )
      ).status,
    ).toBe(400);
  }, 30000);

  it("asks for each service's entity as the permission resource, so an owner policy filters lists and routes", async () => {
    // Stands in for a conditional policy (catalog isEntityOwner) resolved by the permission framework: alice owns
    // component:default/qwen; nobody else may touch it. The plugin's job is to ask with the right resourceRef.
    const asked: Array<{
      permission: string;
      resourceRef?: string;
      user?: string;
    }> = [];
    const owners: Record<string, string> = {
      'component:default/qwen': 'user:default/alice',
    };
    const { server } = await start({
      permissions: {
        authorize: check => {
          asked.push(check);
          return (
            !!check.resourceRef && owners[check.resourceRef] === check.user
          );
        },
        conditional: {
          pluginId: 'catalog',
          resourceType: 'catalog-entity',
          conditions: {} as any,
        },
      },
    });
    const url =
      '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node';
    expect(
      (await request(server).get(url).set(as('user:default/alice'))).status,
    ).toBe(200);
    expect(asked[asked.length - 1]).toEqual({
      permission: 'fusioninfer.service.read',
      resourceRef: 'component:default/qwen',
      user: 'user:default/alice',
    });
    expect(
      (await request(server).get(url).set(as('user:default/bob'))).status,
    ).toBe(403);
    expect(
      (await request(server).get(`${url}/metrics`).set(as('user:default/bob')))
        .status,
    ).toBe(403);
    const list = await request(server)
      .get('/api/fusioninfer/services')
      .set(as('user:default/alice'));
    expect(list.body.items.map((i: any) => i.name)).toEqual([
      'qwen-multi-node',
    ]);
    expect(
      (
        await request(server)
          .get('/api/fusioninfer/services')
          .set(as('user:default/bob'))
      ).body.items,
    ).toEqual([]);
    expect(
      (
        await request(server)
          .get('/api/fusioninfer/clusters')
          .set(as('user:default/bob'))
      ).status,
    ).toBe(200);
    const scale = await request(server)
      .post(`${url}/scale`)
      .set(as('user:default/bob'))
      .send({ role: 'inference', replicas: 1 });
    expect(scale.status).toBe(403);
    expect(asked[asked.length - 1]).toEqual({
      permission: 'fusioninfer.service.update',
      resourceRef: 'component:default/qwen',
      user: 'user:default/bob',
    });
    const del = await request(server).delete(url).set(as('user:default/bob'));
    expect(del.status).toBe(403);
    expect(asked[asked.length - 1].permission).toBe(
      'fusioninfer.service.delete',
    );
  }, 30000);

  it('rejects unauthenticated callers, denied permissions, unknown clusters and bad names without stack traces', async () => {
    const { server } = await start({ permissions: DENY_ALL });
    const unauth = await request(server)
      .get('/api/fusioninfer/services')
      .set('Authorization', mockCredentials.none.header());
    expect(unauth.status).toBe(401);
    expect(
      (await request(server).get('/api/fusioninfer/services')).status,
    ).toBe(403);
    const denied = await request(server).get(
      '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node',
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error.name).toBe('NotAllowedError');
    expect(JSON.stringify(denied.body)).not.toMatch(/\n\s+at /);
    // Authorize before loading: a denied caller gets the same answer for an existing service, a missing one and an
    // unknown cluster.
    const unknown = await request(server).get(
      '/api/fusioninfer/clusters/nope/namespaces/default/services/x',
    );
    const missing = await request(server).get(
      '/api/fusioninfer/clusters/dev/namespaces/default/services/x',
    );
    expect([unknown.status, missing.status]).toEqual([403, 403]);
    expect(unknown.body.error).toEqual(denied.body.error);
    expect(missing.body.error).toEqual(denied.body.error);
    const badName = await request(server).get(
      '/api/fusioninfer/clusters/dev/namespaces/Bad_NS/services/x',
    );
    expect(badName.status).toBe(400);
    expect(
      (
        await request(server)
          .get('/api/fusioninfer/health')
          .set('Authorization', mockCredentials.none.header())
      ).status,
    ).toBe(200);
  }, 30000);
});

// A cluster of its own: the backends the other tests started keep reconciling theirs until the file ends, and one of
// them would correct the drift this test needs to see.
describe('fusioninfer backend plugin diff', () => {
  let own: DevCluster;
  let ownClient: ClusterClient;
  beforeAll(async () => {
    own = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    ownClient = new ClusterClient(devClusterConfig(own.url));
    await ownClient.apply(
      loadExample('multi-node-router.yaml', { namespace: 'default' }),
      { fieldManager: 'kubectl' },
    );
  });
  afterAll(() => own.close());

  it('diffs rendered children against live ones: in sync after reconcile, drift shown with its path', async () => {
    const url =
      '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-multi-node/diff';
    const reconciling = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: own,
      config: { reconciler: { leaseDurationSeconds: 1 } },
    });
    const synced = await waitFor(async () => {
      const r = await request(reconciling.server).get(url);
      return r.status === 200 && r.body.diff?.inSync && r.body;
    });
    expect(synced.validation.valid).toBe(true);
    expect(synced.diff.counts.missing).toBe(0);
    await reconciling.stop();
    // A backend that only reads (its reconciler off, so nothing corrects the drift before it is looked at);
    // somebody edits a child by hand (same spec-hash label): the diff shows where.
    const { server } = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: own,
      config: { reconciler: { enabled: false } },
    });
    const live = await ownClient.get<any>(
      KINDS.PodGroup,
      'default',
      'qwen-multi-node',
    );
    await ownClient.mergePatch(KINDS.PodGroup, 'default', 'qwen-multi-node', {
      spec: { minMember: 99 },
    });
    const drifted = await waitFor(async () => {
      const r = await request(server).get(url);
      return r.status === 200 && !r.body.diff.inSync && r.body;
    });
    const pg = drifted.diff.children.find((c: any) => c.kind === 'PodGroup');
    expect(pg).toMatchObject({
      state: 'drifted',
      changes: [
        { path: '.spec.minMember', desired: live.spec.minMember, live: 99 },
      ],
    });
  }, 30000);
});
