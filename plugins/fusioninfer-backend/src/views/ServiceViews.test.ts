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
import { startDevCluster, DevCluster } from '@fusioninfer/dev-cluster';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import { startFusionInferTestBackend } from '@fusioninfer/test-utils/backend';
import {
  ClusterClient,
  createFusionInferClusters,
} from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from '../plugin';
import { ClusterCache } from '../cache/ClusterCache';
import { createCachedServiceViews } from './ServiceViews';
import { startPartitionProxy } from '../__testUtils__/partitionProxy';

const API = '/api/fusioninfer';

/** API-server requests other than watches and the leader's Lease renewals (a page view must cause none). */
const reads = (dev: DevCluster) =>
  Object.entries(dev.api.requestCounts)
    .filter(
      ([k]) =>
        k.includes(' ') && !k.startsWith('watch ') && !k.endsWith(' leases'),
    )
    .reduce((n, [, v]) => n + v, 0);

describe('REST views from the informer caches', () => {
  let managed: DevCluster;
  let observed: DevCluster;
  beforeAll(async () => {
    managed = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    observed = await startDevCluster({ simulate: false });
    await new ClusterClient(devClusterConfig(managed.url)).apply(
      loadExample('multi-node-router.yaml', {
        namespace: 'default',
        annotations: { 'backstage.io/entity-ref': 'component:default/qwen' },
      }),
      { fieldManager: 'kubectl' },
    );
    await new ClusterClient(devClusterConfig(observed.url)).apply(
      loadExample('monolithic-no-router.yaml', { namespace: 'default' }),
      { fieldManager: 'kubectl' },
    );
  });
  afterAll(async () => {
    await managed.close();
    await observed.close();
  });

  it('serves every view with zero API-server calls, in manage and in observe mode', async () => {
    const { server } = await startFusionInferTestBackend({
      plugin: fusioninferPlugin,
      cluster: managed,
      otherClusters: [
        devClusterConfig(observed.url, { name: 'obs', mode: 'observe' }),
      ],
      config: { reconciler: { leaseDurationSeconds: 15 } },
      entities: [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'qwen', namespace: 'default' },
          spec: { type: 'service', owner: 'alice', lifecycle: 'x' },
        },
      ],
    });
    const svc = `${API}/clusters/dev/namespaces/default/services/qwen-multi-node`;
    await waitFor(
      async () => {
        const r = await request(server).get(svc);
        return (
          r.status === 200 &&
          r.body.gang?.phase === 'Running' &&
          r.body.roles[0].replicas[0].pods.length === 2 &&
          r.body.router?.epp?.ready &&
          r
        );
      },
      { timeoutMs: 20000, what: 'a running service' },
    );
    // let the reconciler settle (its status writes are not page views)
    await new Promise(r => setTimeout(r, 1500));
    const views = [
      `${API}/services`,
      svc,
      `${svc}/children`,
      `${svc}/diff`,
      `${API}/entities/component/default/qwen/services`,
      `${API}/clusters/obs/namespaces/default/services/qwen-inference`,
      `${API}/clusters/obs/namespaces/default/services/qwen-inference/diff`,
    ];
    const calls: Record<string, number> = {};
    for (const v of views) {
      const before = reads(managed) + reads(observed);
      const res = await request(server).get(v);
      expect([v, res.status]).toEqual([v, 200]);
      calls[v] = reads(managed) + reads(observed) - before;
    }
    expect(calls).toEqual(Object.fromEntries(views.map(v => [v, 0])));
    // The metrics view finds its pods in the caches too (its scrapes go through the pod proxy, no LIST).
    const lists = managed.api.requestCounts['list pods'] ?? 0;
    const m = await request(server).get(`${svc}/metrics`);
    expect(m.status).toBe(200);
    expect(managed.api.requestCounts['list pods'] ?? 0).toBe(lists);
    // Listing answers what the clusters hold: both services, both clusters, no errors.
    const list = await request(server).get(`${API}/services`);
    expect(
      list.body.items.map((i: any) => `${i.cluster}/${i.name}`).sort(),
    ).toEqual(['dev/qwen-multi-node', 'obs/qwen-inference']);
    expect(list.body.errors).toEqual([]);
  }, 60000);
});

describe('CachedServiceViews when a cluster is slow or down', () => {
  it('keeps answering from the cache, at once, while a loaded cluster stops answering; names the cluster as stale', async () => {
    const dev = await startDevCluster({ simulate: false });
    const proxy = await startPartitionProxy(dev.url);
    await new ClusterClient(devClusterConfig(dev.url)).apply(
      loadExample('monolithic-no-router.yaml', { namespace: 'default' }),
      { fieldManager: 'kubectl' },
    );
    const client = new ClusterClient(devClusterConfig(proxy.url), {
      informer: { stallTimeoutMs: 300 },
    });
    const cache = new ClusterCache(client);
    const views = createCachedServiceViews({
      clusters: createFusionInferClusters([client]),
      caches: new Map([['dev', cache]]),
      reconcilers: new Map(),
    });
    try {
      await cache.start();
      expect(
        (await views.listServices('dev')).map(i => i.metadata.name),
      ).toEqual(['qwen-inference']);
      expect(views.problems('dev')).toBeUndefined();
      proxy.partition();
      await waitFor(() => views.problems('dev'), {
        timeoutMs: 3000,
        what: 'the stalled watches to be noticed',
      });
      const t0 = Date.now();
      const items = await views.listServices('dev');
      const isvc = await views.getService('dev', 'default', 'qwen-inference');
      const detail = await views.describe('dev', isvc!);
      expect(Date.now() - t0).toBeLessThan(200);
      expect(items.map(i => i.metadata.name)).toEqual(['qwen-inference']);
      expect(detail.name).toBe('qwen-inference');
    } finally {
      // stopping does not wait for the relist that hangs in the partition
      const t1 = Date.now();
      await cache.stop();
      expect(Date.now() - t1).toBeLessThan(1000);
      proxy.heal();
      await proxy.close();
      await dev.close();
    }
  }, 20000);

  it('a cluster that was never listed is unavailable at once instead of being read live on every view', async () => {
    const client = new ClusterClient(
      devClusterConfig('http://127.0.0.1:1', { name: 'down' }),
    );
    const cache = new ClusterCache(client);
    const views = createCachedServiceViews({
      clusters: createFusionInferClusters([client]),
      caches: new Map([['down', cache]]),
      reconcilers: new Map(),
    });
    try {
      await cache.start();
      await expect(views.listServices('down')).rejects.toMatchObject({
        code: 503,
      });
      await expect(
        views.getService('down', 'default', 'x'),
      ).rejects.toMatchObject({ code: 503 });
    } finally {
      await cache.stop();
    }
  }, 20000);
});
