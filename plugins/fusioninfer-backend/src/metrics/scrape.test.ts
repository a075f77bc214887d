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

import { mockServices } from '@backstage/backend-test-utils';
import { DevCluster, startDevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import { InferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { MetricsCollector } from './MetricsCollector';

const METRICS = [
  '# TYPE vllm:num_requests_running gauge',
  'vllm:num_requests_running{model_name="m"} 3',
  '# TYPE vllm:num_requests_waiting gauge',
  'vllm:num_requests_waiting{model_name="m"} 1',
  '',
].join('\n');

/**
 * A service with one leader pod controlled by its LeaderWorkerSet, and a pod somebody else created in the same
 * namespace with exactly the labels of a leader (no owner). Simulation off: the pods answer what the test says.
 */
async function setup(bodyFor: (pod: string) => string) {
  const dev: DevCluster = await startDevCluster({ simulate: false });
  const t = (g: string, v: string, p: string) => dev.api.findType(g, v, p)!;
  const isvc = dev.api.create(
    t('fusioninfer.io', 'v1alpha1', 'inferenceservices'),
    'default',
    {
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 'svc', namespace: 'default' },
      spec: {
        roles: [
          {
            name: 'inference',
            componentType: 'worker',
            replicas: 1,
            template: {
              spec: { containers: [{ name: 'c', image: 'vllm:ok' }] },
            },
          },
        ],
      },
    },
    { fieldManager: 'test' },
  );
  const owner = (o: any) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller: true,
  });
  const lws = dev.api.create(
    t('leaderworkerset.x-k8s.io', 'v1', 'leaderworkersets'),
    'default',
    {
      apiVersion: 'leaderworkerset.x-k8s.io/v1',
      kind: 'LeaderWorkerSet',
      metadata: {
        name: 'svc-inference-0',
        namespace: 'default',
        labels: { 'fusioninfer.io/service': 'svc' },
        ownerReferences: [owner(isvc)],
      },
      spec: {
        replicas: 1,
        leaderWorkerTemplate: {
          size: 1,
          workerTemplate: {
            spec: { containers: [{ name: 'c', image: 'vllm:ok' }] },
          },
        },
      },
    },
    { fieldManager: 'test' },
  );
  const pods = t('', 'v1', 'pods');
  const labels = {
    'fusioninfer.io/service': 'svc',
    'fusioninfer.io/component-type': 'worker',
    'fusioninfer.io/role-name': 'inference',
    'fusioninfer.io/replica-index': '0',
    'leaderworkerset.sigs.k8s.io/worker-index': '0',
    'leaderworkerset.sigs.k8s.io/name': 'svc-inference-0',
  };
  for (const [name, refs] of [
    ['svc-inference-0-0', [owner(lws)]],
    ['aaa-impostor', undefined],
  ] as const) {
    dev.api.create(
      pods,
      'default',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: 'default',
          labels,
          ...(refs ? { ownerReferences: refs } : {}),
        },
        spec: {
          nodeName: 'gpu-node-0',
          containers: [
            { name: 'c', image: 'vllm:ok', ports: [{ containerPort: 8000 }] },
          ],
        },
      },
      { fieldManager: 'test' },
    );
    const p = dev.api.get(pods, 'default', name);
    dev.api.update(
      pods,
      'default',
      name,
      {
        ...p,
        status: {
          phase: 'Running',
          podIP: '127.0.0.1',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'c', ready: true, restartCount: 0 }],
        },
      },
      { subresource: 'status', fieldManager: 'test' },
    );
  }
  const scraped: string[] = [];
  dev.registerPodHttpHandler(pod => async () => {
    scraped.push(pod.metadata.name);
    return {
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: bodyFor(pod.metadata.name),
    };
  });
  const client = new ClusterClient({
    name: 'dev',
    url: dev.url,
    authProvider: 'serviceAccount',
    skipTLSVerify: true,
    mode: 'manage',
  });
  return { dev, client, isvc: isvc as unknown as InferenceService, scraped };
}

describe('routing-metrics scrapes', () => {
  it('choose leader pods by owner reference: a pod that only carries the labels is neither listed nor scraped', async () => {
    const { dev, client, isvc, scraped } = await setup(() => METRICS);
    try {
      const collector = new MetricsCollector({
        logger: mockServices.logger.mock(),
        pollIntervalMs: 0,
      });
      const r = await collector.get(client, isvc);
      expect(r.endpoints.map(e => [e.pod, e.state])).toEqual([
        ['svc-inference-0-0', 'ok'],
      ]);
      expect(r.endpoints[0].metrics!.running).toBe(3);
      expect(scraped).toEqual(['svc-inference-0-0']);
    } finally {
      await dev.close();
    }
  }, 20000);

  it('read at most maxScrapeBytes per endpoint: a larger answer is aborted and reported, not parsed', async () => {
    const huge = `${METRICS}${'# padding '.repeat(400_000)}\n`; // ~4 MB
    const { dev, client, isvc } = await setup(() => huge);
    try {
      const collector = new MetricsCollector({
        logger: mockServices.logger.mock(),
        pollIntervalMs: 0,
        maxScrapeBytes: 256 * 1024,
      });
      const r = await collector.get(client, isvc);
      expect(r.endpoints).toHaveLength(1);
      expect(r.endpoints[0].state).toBe('error');
      expect(r.endpoints[0].message).toContain('more than 256 KiB');
      expect(r.endpoints[0].metrics).toBeUndefined();
      // The client-level cap as well (default 8 MiB, here 1 KiB).
      const res = await client.podProxyGet(
        'default',
        'svc-inference-0-0',
        8000,
        '/metrics',
        { maxBytes: 1024 },
      );
      expect(res).toEqual({ status: 200, body: '', truncated: true });
    } finally {
      await dev.close();
    }
  }, 20000);
});
