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
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import { devClusterConfig, loadExample } from '@fusioninfer/test-utils';
import {
  DENY_ALL,
  DOWN_CLUSTER,
  startFusionInferTestBackend,
} from '@fusioninfer/test-utils/backend';
import { fusioninferRoutes } from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from '../plugin';

const API = '/api/fusioninfer';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Every route of the contract, called by an authenticated user whom the policy denies everything: each answers 403
 * before loading anything, so the answer is the same for an existing service, a missing one and a cluster that is
 * down, and it never names a cluster address. (Cancelling is the requester's right, not a permission: see below.)
 */
describe('every route authorizes before loading', () => {
  let dev: DevCluster;
  beforeAll(async () => {
    dev = await startDevCluster({ simulate: false });
    const client = new ClusterClient(devClusterConfig(dev.url));
    await client.apply(
      loadExample('monolithic-router-qwen.yaml', {
        name: 'exists',
        namespace: 'default',
      }),
      { fieldManager: 'kubectl' },
    );
  });
  afterAll(() => dev.close());

  it('answers the same 403 for existing, missing and unreachable resources on every route', async () => {
    const { server } = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: dev,
      otherClusters: [DOWN_CLUSTER],
      config: {
        approvals: { maxGpusWithoutApproval: 0 },
        projects: {
          'team-a': {
            owners: ['group:default/team-a'],
            destinations: [{ cluster: 'dev', namespaces: ['default'] }],
            gpuQuota: { dev: 8 },
          },
        },
      },
      permissions: DENY_ALL,
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'qwen', namespace: 'default' },
          spec: { type: 'service', owner: 'alice', lifecycle: 'x' },
        },
      ],
    });
    const user = {
      Authorization: mockCredentials.user.header('user:default/mallory'),
    };
    const manifest = (name: string) => ({
      ...(loadExample('monolithic-router-qwen.yaml') as any),
      metadata: { name, namespace: 'default' },
    });
    const svc = (cluster: string, name: string) =>
      `${API}/clusters/${cluster}/namespaces/default/services/${name}`;
    const targets = [
      ['dev', 'exists'],
      ['dev', 'missing'],
      ['down', 'exists'],
      ['nope', 'exists'],
    ];
    type Call = {
      method: 'get' | 'post' | 'put' | 'delete';
      url: string;
      body?: any;
    };
    // Projects: one that exists, one that does not, a cluster that is down, one that is not configured.
    const quotaTargets = [
      ['team-a', 'dev'],
      ['nope', 'dev'],
      ['team-a', 'down'],
      ['team-a', 'nope'],
    ].map(([p, c]) => `${API}/projects/${p}/quotas/${c}`);
    const calls: Record<keyof typeof fusioninferRoutes, Call[]> = {
      listClusters: [{ method: 'get', url: `${API}/clusters` }],
      listServices: [{ method: 'get', url: `${API}/services` }],
      getService: targets.map(([c, n]) => ({ method: 'get', url: svc(c, n) })),
      getChildren: targets.map(([c, n]) => ({
        method: 'get',
        url: `${svc(c, n)}/children`,
      })),
      getDiff: targets.map(([c, n]) => ({
        method: 'get',
        url: `${svc(c, n)}/diff`,
      })),
      getMetrics: targets.map(([c, n]) => ({
        method: 'get',
        url: `${svc(c, n)}/metrics`,
      })),
      getPreflight: targets.map(([c, n]) => ({
        method: 'get',
        url: `${svc(c, n)}/preflight`,
      })),
      getAutoscaling: targets.map(([c, n]) => ({
        method: 'get',
        url: `${svc(c, n)}/autoscaling`,
      })),
      getServiceShowback: targets.map(([c, n]) => ({
        method: 'get',
        url: `${svc(c, n)}/showback`,
      })),
      getShowback: [{ method: 'get', url: `${API}/showback` }],
      getEntityServices: [
        {
          method: 'get',
          url: `${API}/entities/component/default/qwen/services`,
        },
        {
          method: 'get',
          url: `${API}/entities/component/default/none/services`,
        },
      ],
      scale: targets.map(([c, n]) => ({
        method: 'post',
        url: `${svc(c, n)}/scale`,
        body: { role: 'worker', replicas: 2 },
      })),
      setStrategy: targets.map(([c, n]) => ({
        method: 'post',
        url: `${svc(c, n)}/strategy`,
        body: { strategy: 'queue-size' },
      })),
      setRollout: targets.map(([c, n]) => ({
        method: 'post',
        url: `${svc(c, n)}/rollout`,
        body: { role: 'worker', paused: true },
      })),
      setCanary: targets.map(([c, n]) => ({
        method: 'post',
        url: `${svc(c, n)}/canary`,
        body: { action: 'rollback' },
      })),
      deleteService: targets.map(([c, n]) => ({
        method: 'delete',
        url: svc(c, n),
      })),
      apply: [
        ['dev', 'exists'],
        ['dev', 'missing'],
        ['down', 'exists'],
      ].map(([cluster, name]) => ({
        method: 'post',
        url: `${API}/apply`,
        body: { cluster, namespace: 'default', manifest: manifest(name) },
      })),
      checkApproval: [
        {
          method: 'post',
          url: `${API}/approvals/check`,
          body: {
            cluster: 'dev',
            namespace: 'default',
            manifest: manifest('exists'),
          },
        },
      ],
      createApproval: [
        {
          method: 'post',
          url: `${API}/approvals`,
          body: {
            cluster: 'dev',
            namespace: 'default',
            manifest: manifest('missing'),
          },
        },
      ],
      listApprovals: [{ method: 'get', url: `${API}/approvals` }],
      getApproval: [{ method: 'get', url: `${API}/approvals/${MISSING_ID}` }],
      decideApproval: [
        {
          method: 'post',
          url: `${API}/approvals/${MISSING_ID}/decision`,
          body: { approve: true },
        },
      ],
      retryApproval: [
        { method: 'post', url: `${API}/approvals/${MISSING_ID}/retry` },
      ],
      cancelApproval: [],
      listProjects: [{ method: 'get', url: `${API}/projects` }],
      setProjectQuota: quotaTargets.map(url => ({
        method: 'put',
        url,
        body: { gpus: 1000, reason: 'mine now' },
      })),
      resetProjectQuota: quotaTargets.map(url => ({ method: 'delete', url })),
    };
    for (const [route, list] of Object.entries(calls)) {
      const answers: string[] = [];
      for (const c of list) {
        let r = request(server)[c.method](c.url).set(user);
        if (c.body) r = r.send(c.body);
        const res = await r;
        expect({ route, url: c.url, status: res.status }).toEqual({
          route,
          url: c.url,
          status: 403,
        });
        expect(JSON.stringify(res.body)).not.toMatch(
          /127\.0\.0\.1|ECONNREFUSED|certificate/,
        );
        answers.push(JSON.stringify(res.body.error));
      }
      // One answer per route, whatever exists.
      expect({ route, answers: [...new Set(answers)].length }).toEqual({
        route,
        answers: list.length ? 1 : 0,
      });
    }
    // Cancelling is the requester's right (documented), checked after reading the request; request ids are random
    // UUIDs, so the 404 of an unknown id tells nothing that can be probed.
    const cancel = await request(server)
      .post(`${API}/approvals/${MISSING_ID}/cancel`)
      .set(user);
    expect(cancel.status).toBe(404);
    // Unauthenticated: 401 everywhere (health excepted).
    const none = await request(server)
      .get(svc('dev', 'exists'))
      .set('Authorization', mockCredentials.none.header());
    expect(none.status).toBe(401);
  }, 60000);
});
