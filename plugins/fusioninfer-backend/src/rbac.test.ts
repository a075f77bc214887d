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
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from './plugin';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import { startFusionInferTestBackend } from '@fusioninfer/test-utils/backend';

/**
 * The backend against a development cluster that authorizes its identity by RBAC, as a real cluster does: what it
 * still does when its identity lacks a right.
 */

/** Everything the reconciler and the views use, except `pods/proxy` (the route to the model servers' metrics). */
function rulesWithoutPodProxy(dev: DevCluster) {
  const groups = [
    ...new Set(
      dev.api
        .allTypes()
        .map(t => t.group)
        .filter(g => g !== ''),
    ),
  ];
  const core = [
    ...new Set(
      dev.api
        .allTypes()
        .filter(t => t.group === '')
        .map(t => t.plural),
    ),
  ];
  expect(core).toContain('pods');
  return [
    { apiGroups: groups, resources: ['*'], verbs: ['*'] },
    {
      apiGroups: [''],
      resources: [...core, 'pods/log', 'pods/status'],
      verbs: ['*'],
    },
  ];
}

function create(dev: DevCluster, obj: any, ns?: string) {
  const t = dev.api.typeForObject(obj);
  if (!t) throw new Error(`no type for ${obj.apiVersion} ${obj.kind}`);
  return dev.api.create(t, ns, obj);
}

/** An example service in `namespace`, applied by the admin. */
async function applyExample(
  dev: DevCluster,
  file: string,
  namespace: string,
): Promise<string> {
  const admin = new ClusterClient(devClusterConfig(dev.url));
  const isvc = loadExample(file, { namespace });
  await admin.apply(isvc, { fieldManager: 'kubectl' });
  return isvc.metadata.name;
}

/** Any URL, address or socket text a caller must not see. */
const INTERNAL = /127\.0\.0\.1|https?:\/\/|\/api\/v1|:\d+\/|forbidden|403/i;

describe('backend identity with limited RBAC rights', () => {
  describe('without pods/proxy', () => {
    let dev: DevCluster;
    let name: string;
    beforeAll(async () => {
      dev = await startDevCluster({
        simulation: { podStartupDelayMs: 40 },
        tokens: ['dev-token'],
        users: [{ token: 'backend-token', name: 'fusioninfer-backend' }],
      });
      create(dev, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'fusioninfer-no-proxy' },
        rules: rulesWithoutPodProxy(dev),
      });
      create(dev, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'fusioninfer-no-proxy' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'fusioninfer-no-proxy',
        },
        subjects: [
          {
            kind: 'User',
            apiGroup: 'rbac.authorization.k8s.io',
            name: 'fusioninfer-backend',
          },
        ],
      });
      name = await applyExample(dev, 'monolithic-router-qwen.yaml', 'default');
    });
    afterAll(() => dev.close());

    it('reports the endpoints unreachable without internals, and everything else works', async () => {
      // The identity really lacks the right (and has the others).
      const limited = new ClusterClient({
        ...devClusterConfig(dev.url),
        serviceAccountToken: 'backend-token',
      });
      const pods = await limited
        .list({ apiVersion: 'v1', kind: 'Pod' } as any, 'default')
        .catch((e: Error) => e);
      expect(pods).not.toBeInstanceOf(Error);

      const { server } = await startFusionInferTestBackend({
        plugin: fusioninferPlugin,
        cluster: dev,
        clusterConfig: { serviceAccountToken: 'backend-token' },
        config: { reconciler: { leaseDurationSeconds: 1 } },
      });
      const url = `/api/fusioninfer/clusters/dev/namespaces/default/services/${name}`;
      const list = await request(server).get('/api/fusioninfer/services');
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: any) => i.name)).toEqual([name]);
      expect(list.body.errors ?? []).toEqual([]);
      // The reconciler (which needs no pod proxy) brings the service up.
      const detail = await waitFor(async () => {
        const r = await request(server).get(url);
        return (
          r.status === 200 &&
          r.body.roles?.[0]?.replicas?.[0]?.pods?.[0]?.ready &&
          r.body.router?.epp?.ready &&
          r.body
        );
      }, 20000);
      expect(detail.router.inferencePool).toBeDefined();
      for (const sub of ['children', 'diff']) {
        const r = await request(server).get(`${url}/${sub}`);
        expect([sub, r.status]).toEqual([sub, 200]);
      }
      const metrics = await request(server).get(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body.endpoints.length).toBeGreaterThan(0);
      for (const e of metrics.body.endpoints) {
        expect(e.state).toBe('unreachable');
        expect(e.message).toBeDefined();
        expect(e.message).not.toMatch(INTERNAL);
        expect(e.message).toMatch(/may not use the API server's pod proxy/);
      }
      expect(metrics.body.epp.state).toBe('unreachable');
      expect(JSON.stringify(metrics.body)).not.toMatch(INTERNAL);
      // Writes (scale) still work.
      const scale = await request(server)
        .post(`${url}/scale`)
        .send({ role: detail.roles[0].name, replicas: 2 });
      expect(scale.status).toBeLessThan(300);
    }, 40000);
  });

  describe('namespace-scoped identity', () => {
    let dev: DevCluster;
    beforeAll(async () => {
      dev = await startDevCluster({
        simulation: { podStartupDelayMs: 40 },
        tokens: ['dev-token'],
        users: [{ token: 'team-token', name: 'team-a-backend' }],
      });
      create(dev, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team-a' },
      });
      create(
        dev,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'fusioninfer', namespace: 'team-a' },
          rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
        },
        'team-a',
      );
      create(
        dev,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'fusioninfer', namespace: 'team-a' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'Role',
            name: 'fusioninfer',
          },
          subjects: [
            {
              kind: 'User',
              apiGroup: 'rbac.authorization.k8s.io',
              name: 'team-a-backend',
            },
          ],
        },
        'team-a',
      );
      await applyExample(dev, 'monolithic-router-qwen.yaml', 'team-a');
      await applyExample(dev, 'monolithic-no-router.yaml', 'default');
    });
    afterAll(() => dev.close());

    /** The backend with the team-a identity; every warning and error of the plugin and its child loggers. */
    async function startScoped(reconciler: Record<string, unknown>) {
      const noisy: string[] = [];
      const recorder: any = {
        child: () => recorder,
        debug: () => {},
        info: () => {},
        warn: (m: string) => noisy.push(m),
        error: (m: string) => noisy.push(m),
      };
      const { server } = await startFusionInferTestBackend({
        plugin: fusioninferPlugin,
        cluster: dev,
        clusterConfig: {
          serviceAccountToken: 'team-token',
          namespaces: ['team-a'],
        },
        config: { reconciler: { leaseDurationSeconds: 1, ...reconciler } },
        features: [
          createServiceFactory({
            service: coreServices.logger,
            deps: {},
            factory: () => recorder,
          }),
        ],
      });
      return { server, noisy };
    }

    it('sees only its namespace, without crashing or repeating forbidden warnings', async () => {
      // The identity's Role is in team-a only, so its Lease is there too.
      const { server, noisy } = await startScoped({ leaseNamespace: 'team-a' });
      const list = await waitFor(async () => {
        const r = await request(server).get('/api/fusioninfer/services');
        return r.status === 200 && r.body.items.length > 0 && r.body;
      }, 20000);
      expect(list.errors ?? []).toEqual([]);
      expect(list.items.map((i: any) => [i.namespace, i.name])).toEqual([
        ['team-a', 'qwen-inference'],
      ]);
      const detail = await waitFor(async () => {
        const r = await request(server).get(
          '/api/fusioninfer/clusters/dev/namespaces/team-a/services/qwen-inference',
        );
        return (
          r.status === 200 &&
          r.body.roles?.[0]?.replicas?.[0]?.pods?.[0]?.ready &&
          r.body
        );
      }, 20000);
      expect(detail.name).toBe('qwen-inference');
      // Nodes are cluster-scoped: this identity may not list them, so the GPU capacity is unknown, never an error.
      const dry = await request(server)
        .post('/api/fusioninfer/apply')
        .send({
          cluster: 'dev',
          namespace: 'team-a',
          manifest: loadExample('monolithic-no-router.yaml'),
          dryRun: true,
        });
      expect(dry.status).toBe(200);
      expect(dry.body.capacity).toBeUndefined();
      expect(dry.body.capacityFit).toEqual({
        message:
          'cluster capacity unknown: the backend cannot list the nodes and pods of this cluster',
      });
      const other = await request(server).get(
        '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen-inference',
      );
      expect(other.status).toBeGreaterThanOrEqual(400);
      expect(other.status).toBeLessThan(500);
      // Let the watches run for a while: forbidden cluster-wide lists must not be retried and logged in a loop.
      await new Promise(r => setTimeout(r, 3000));
      expect(noisy).toEqual([]);
    }, 40000);

    it('with the Lease in a namespace it may not use, still serves reads and says why it does not reconcile, without a warning per retry', async () => {
      const { server, noisy } = await startScoped({});
      const list = await waitFor(async () => {
        const r = await request(server).get('/api/fusioninfer/services');
        return r.status === 200 && r.body.items.length > 0 && r.body;
      }, 20000);
      expect(list.items.map((i: any) => i.namespace)).toEqual(['team-a']);
      await new Promise(r => setTimeout(r, 3000));
      expect(noisy).toEqual([
        expect.stringMatching(
          /cannot get resource "leases".*nothing is reconciled until the identity may get, create and update Leases in namespace fusioninfer-system \(fusioninfer\.reconciler\.leaseNamespace\)/,
        ),
      ]);
    }, 40000);
  });
});
