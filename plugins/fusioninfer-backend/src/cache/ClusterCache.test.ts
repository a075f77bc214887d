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

import { startDevCluster } from '@fusioninfer/dev-cluster';
import {
  ClusterClient,
  createFusionInferClusters,
  isNamespaceAllowed,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import {
  ClusterCache,
  EVENT_MESSAGE_BYTES,
  EVENTS_PER_SERVICE,
} from './ClusterCache';
import { createCachedServiceViews } from '../views/ServiceViews';
import { startPartitionProxy } from '../__testUtils__/partitionProxy';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';

const cm = (ns: string, name: string, svc = 'svc') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name,
    namespace: ns,
    labels: { 'fusioninfer.io/service': svc },
  },
  data: { a: '1' },
});

describe('ClusterCache', () => {
  it('sends timeoutSeconds and asks for bookmarks on every watch, and relists a watch that stalls without closing', async () => {
    const dev = await startDevCluster({ simulate: false });
    const proxy = await startPartitionProxy(dev.url);
    const cfg = {
      name: 'dev',
      authProvider: 'serviceAccount' as const,
      skipTLSVerify: true,
      mode: 'manage' as const,
    };
    const viaProxy = new ClusterClient(
      { ...cfg, url: proxy.url },
      { informer: { stallTimeoutMs: 400, watchTimeoutSeconds: 120 } },
    );
    const direct = new ClusterClient({ ...cfg, url: dev.url });
    const cache = new ClusterCache(viaProxy);
    try {
      await cache.start();
      const watches = proxy.requests.filter(r => r.includes('watch=true'));
      expect(watches.length).toBeGreaterThan(0);
      for (const w of watches) {
        expect(w).toContain('timeoutSeconds=120');
        expect(w).toContain('allowWatchBookmarks=true');
      }
      await direct.apply(cm('default', 'one'));
      await waitFor(() => cache.get(KINDS.ConfigMap, 'default', 'one'));
      // the per-service index follows label changes
      expect(
        cache.list(KINDS.ConfigMap, 'default', 'svc').map(o => o.metadata.name),
      ).toEqual(['one']);
      await direct.apply(cm('default', 'one', 'other'));
      await waitFor(
        () => cache.list(KINDS.ConfigMap, 'default', 'other').length === 1,
      );
      expect(cache.list(KINDS.ConfigMap, 'default', 'svc')).toEqual([]);
      // The open watches stop delivering anything but stay open (no FIN, no RST): a stalled watch.
      proxy.stallOpenConnections();
      await direct.apply(cm('default', 'two'));
      // Without stall detection the cache would never see it (until the server's own watch timeout).
      await waitFor(() => cache.get(KINDS.ConfigMap, 'default', 'two'), 4000);
      expect(cache.counters().stalls).toBeGreaterThan(0);
    } finally {
      await cache.stop();
      await proxy.close();
      await dev.close();
    }
  }, 20000);

  it('watches only the configured namespaces (fusioninfer.clusters[].namespaces)', async () => {
    const dev = await startDevCluster({
      simulate: false,
      namespaces: ['team-a', 'team-b', 'fusioninfer-system'],
    });
    const client = new ClusterClient({
      name: 'dev',
      url: dev.url,
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
      namespaces: ['team-a'],
    });
    const cache = new ClusterCache(client);
    try {
      await client.apply(cm('team-a', 'a'));
      await client.apply(cm('team-b', 'b'));
      const before = dev.api.requestCounts['list configmaps'] ?? 0;
      await cache.start();
      expect(cache.list(KINDS.ConfigMap).map(o => o.metadata.name)).toEqual([
        'a',
      ]);
      expect(cache.get(KINDS.ConfigMap, 'team-b', 'b')).toBeUndefined();
      // one namespaced list, never a cluster-wide one
      expect((dev.api.requestCounts['list configmaps'] ?? 0) - before).toBe(1);
      expect(isNamespaceAllowed(client.config, 'team-a')).toBe(true);
      expect(isNamespaceAllowed(client.config, 'team-b')).toBe(false);
      expect(isNamespaceAllowed(client, undefined)).toBe(false);
      expect(isNamespaceAllowed({ namespaces: undefined }, 'x')).toBe(true);
    } finally {
      await cache.stop();
      await dev.close();
    }
  }, 20000);

  it('keeps of cluster-wide pods only what capacity reads, and of events only the newest about the service, its children and pods, messages cut (review N-L2)', async () => {
    const dev = await startDevCluster({ simulate: false });
    const client = new ClusterClient(devClusterConfig(dev.url));
    const cache = new ClusterCache(client);
    const big = 'x'.repeat(4096);
    const pod = (
      ns: string,
      name: string,
      gpus: number,
      labels?: Record<string, string>,
    ) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        labels,
        annotations: { 'example.com/big': big },
      },
      spec: {
        nodeName: 'gpu-node-0',
        initContainers: [
          {
            name: 'proxy',
            image: 'proxy',
            restartPolicy: 'Always',
            env: [{ name: 'SECRET', value: big }],
            resources: { requests: { cpu: '1' } },
          },
        ],
        containers: [
          {
            name: 'main',
            image: 'vllm',
            command: ['serve', big],
            env: [{ name: 'SECRET', value: big }],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
            resources: {
              requests: { 'nvidia.com/gpu': String(gpus) },
              limits: { 'nvidia.com/gpu': String(gpus) },
            },
          },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    });
    const podType = dev.api.findType('', 'v1', 'pods')!;
    const eventType = dev.api.findType('', 'v1', 'events')!;
    const event = (
      name: string,
      involved: { kind: string; name: string },
      second: number,
      message = `event ${name}`,
    ) =>
      dev.api.create(
        eventType,
        'default',
        {
          metadata: { name, namespace: 'default' },
          involvedObject: { ...involved, namespace: 'default' },
          type: 'Normal',
          reason: 'Test',
          message,
          source: { component: 'test', host: big },
          lastTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second))
            .toISOString()
            .replace('.000', ''),
          count: 1,
        },
        { fieldManager: 'test' },
      );
    try {
      const isvc = loadExample('monolithic-no-router.yaml') as any;
      await client.apply(
        {
          ...isvc,
          metadata: { name: 'svc-x', namespace: 'default' },
        },
        { fieldManager: 'kubectl' },
      );
      await client.apply(
        pod('default', 'svc-x-0', 2, {
          'fusioninfer.io/service': 'svc-x',
          'app.kubernetes.io/name': 'dropped',
        }),
      );
      await client.apply(pod('demo', 'other', 1));
      const done = await client.apply(pod('demo', 'done', 4));
      dev.api.update(
        podType,
        'demo',
        'done',
        { ...done, status: { phase: 'Succeeded' } },
        { subresource: 'status', fieldManager: 'test' },
      );
      const svcPod = { kind: 'Pod', name: 'svc-x-0' };
      // events about the service's pod, half of them before the cache lists and half while it watches
      const total = EVENTS_PER_SERVICE + 20;
      const half = total / 2;
      for (let i = 0; i < half; i++)
        event(`e-${String(i).padStart(3, '0')}`, svcPod, i);
      event('long', svcPod, 500, 'é'.repeat(3000));
      event('about-svc', { kind: 'InferenceService', name: 'svc-x' }, 0);
      // named like a child, but no child of the service: never cached
      event('unrelated', { kind: 'Pod', name: 'svc-x-unrelated' }, 600);
      event('unrelated-kind', { kind: 'ConfigMap', name: 'svc-x-0' }, 600);

      await cache.start();
      for (let i = half; i < total; i++)
        event(`e-${String(i).padStart(3, '0')}`, svcPod, i);
      event('unrelated-late', { kind: 'Pod', name: 'svc-x-unrelated' }, 700);
      await waitFor(() =>
        cache.events('default', 'svc-x').some(e => e.metadata.name === 'e-119'),
      );
      await waitFor(() => cache.capacity());

      // Capacity: 32 GPUs; svc-x-0 holds 2 and other 1 on gpu-node-0; done (Succeeded) holds none.
      expect(cache.capacity()).toEqual({
        totalGpus: 32,
        freeGpus: 29,
        largestFreeBlockGpus: 8,
        nodes: 4,
      });
      const capacityPods = (cache as any).capacityInformers.pods;
      const projected = capacityPods.get('svc-x-0', 'default');
      // Of its labels only the service's: a pre-flight counts the service's own pods as free.
      expect(projected).toEqual({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'svc-x-0',
          namespace: 'default',
          uid: expect.any(String),
          resourceVersion: expect.any(String),
          labels: { 'fusioninfer.io/service': 'svc-x' },
        },
        spec: {
          nodeName: 'gpu-node-0',
          initContainers: [
            { restartPolicy: 'Always', resources: { requests: { cpu: '1' } } },
          ],
          containers: [
            {
              resources: {
                requests: { 'nvidia.com/gpu': '2' },
                limits: { 'nvidia.com/gpu': '2' },
              },
            },
          ],
        },
        status: { phase: 'Pending' },
      });
      expect(capacityPods.get('done', 'demo').status).toEqual({
        phase: 'Succeeded',
      });
      for (const p of capacityPods.list()) {
        const text = JSON.stringify(p);
        for (const field of ['annotations', 'env', 'volumes', 'command'])
          expect(text).not.toContain(`"${field}"`);
      }
      const node = (cache as any).capacityInformers.nodes.get('gpu-node-0');
      expect(node.status).toEqual({
        allocatable: expect.objectContaining({ 'nvidia.com/gpu': '8' }),
      });
      // Its labels stay: GPU feature discovery's product and memory (pre-flight), and what nodeSelectors match.
      expect(node.metadata.labels).toMatchObject({
        'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
        'nvidia.com/gpu.memory': '81559',
      });
      // The service's own pods stay whole in the views' cache.
      expect(
        cache.get<any>(KINDS.Pod, 'default', 'svc-x-0')?.metadata.annotations,
      ).toEqual({ 'example.com/big': big });

      // Events: only those about the service and its pod, the newest EVENTS_PER_SERVICE, messages cut.
      const names = (l: { metadata: { name?: string } }[]) =>
        l.map(e => e.metadata.name!).sort();
      const kept = cache.events('default', 'svc-x');
      expect(kept).toHaveLength(EVENTS_PER_SERVICE);
      expect(names(cache.list(KINDS.Event, 'default'))).toEqual(names(kept));
      expect(names(kept)).not.toContain('unrelated');
      expect(names(kept)).not.toContain('unrelated-late');
      expect(names(kept)).not.toContain('unrelated-kind');
      // the oldest (about-svc, e-000 … e-020) made way for newer ones
      expect(names(kept)).toEqual(
        [
          'long',
          ...Array.from(
            { length: total - 21 },
            (_, i) => `e-${String(i + 21).padStart(3, '0')}`,
          ),
        ].sort(),
      );
      const long = kept.find(e => e.metadata.name === 'long')!;
      expect(Buffer.byteLength(long.message!)).toBeLessThanOrEqual(
        EVENT_MESSAGE_BYTES,
      );
      expect(long.message).toMatch(/^é+…$/);
      expect(JSON.stringify(kept)).not.toContain(big);

      // The detail reads the service's events from the index.
      const views = createCachedServiceViews({
        clusters: createFusionInferClusters([client]),
        caches: new Map([['dev', cache]]),
        reconcilers: new Map(),
      });
      const detail = await views.describe(
        'dev',
        cache.get<any>(KINDS.InferenceService, 'default', 'svc-x')!,
      );
      expect(detail.events).toHaveLength(50);
      expect(detail.events[0]).toMatchObject({
        object: 'Pod/svc-x-0',
        message: long.message,
      });
      expect(detail.events[1].object).toBe('Pod/svc-x-0');
    } finally {
      await cache.stop();
      await dev.close();
    }
  }, 30000);
});
