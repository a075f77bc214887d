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

import { createServer } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import {
  ClusterApiError,
  ClusterClient,
} from '@fusioninfer/plugin-fusioninfer-node';
import { InferenceService, Pod } from '@fusioninfer/plugin-fusioninfer-common';
import { MetricsCollector, ServiceObjects } from './MetricsCollector';
import { PrometheusSource } from './PrometheusSource';

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>(r => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>(r => srv.close(() => r()));
  return port;
}

const owner = (kind: string, name: string, uid: string) => ({
  apiVersion: 'x/v1',
  kind,
  name,
  uid,
  controller: true,
});

const readyPod = (
  name: string,
  labels: Record<string, string>,
  ref: ReturnType<typeof owner>,
): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'team-a', labels, ownerReferences: [ref] },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  }) as unknown as Pod;

/** A service with a router: one leader pod owned by its LWS and one EPP pod owned by its EPP Deployment. */
function service(): { isvc: InferenceService; objects: ServiceObjects } {
  const isvc = {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'svc', namespace: 'team-a', uid: 'isvc-uid' },
    spec: {
      roles: [
        { name: 'router', componentType: 'router', strategy: 'prefix-cache' },
        {
          name: 'inference',
          componentType: 'worker',
          replicas: 1,
          template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      ],
    },
  } as unknown as InferenceService;
  const lws = {
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: {
      name: 'svc-inference-0',
      namespace: 'team-a',
      uid: 'lws-uid',
      ownerReferences: [owner('InferenceService', 'svc', 'isvc-uid')],
    },
    spec: {},
  } as any;
  const epp = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'svc-epp',
      namespace: 'team-a',
      uid: 'epp-uid',
      ownerReferences: [owner('InferenceService', 'svc', 'isvc-uid')],
    },
    spec: { template: { spec: { containers: [{ name: 'epp' }] } } },
  } as any;
  return {
    isvc,
    objects: {
      leaderWorkerSets: [lws],
      eppDeployment: epp,
      pods: [
        readyPod(
          'svc-inference-0-0',
          {
            'fusioninfer.io/service': 'svc',
            'fusioninfer.io/component-type': 'worker',
            'fusioninfer.io/role-name': 'inference',
            'fusioninfer.io/replica-index': '0',
          },
          owner('LeaderWorkerSet', 'svc-inference-0', 'lws-uid'),
        ),
        readyPod(
          'svc-epp-7c9-abcde',
          { app: 'svc-epp' },
          owner('Deployment', 'svc-epp', 'epp-uid'),
        ),
      ],
    },
  };
}

/** What an API caller must never see: the API server's or Prometheus' address, request paths, TLS or socket text. */
const INTERNAL =
  /127\.0\.0\.1|https?:\/\/|\/api\/v1|\/proxy|ECONNREFUSED|certificate|TLS|socket/i;

describe('routing-metrics errors reaching API callers (review L1)', () => {
  it('an unreachable pod proxy is reported generically, the detail only logged', async () => {
    const port = await closedPort();
    const client = new ClusterClient({
      name: 'dev',
      url: `https://127.0.0.1:${port}`,
      authProvider: 'serviceAccount',
      serviceAccountToken: 'secret-token-should-not-leak',
      skipTLSVerify: true,
      mode: 'manage',
    });
    const { isvc, objects } = service();
    const logger = mockServices.logger.mock();
    const collector = new MetricsCollector({
      logger,
      pollIntervalMs: 0,
      lookup: () => objects,
    });
    const r = await collector.get(client, isvc);
    expect(r.endpoints.map(e => [e.pod, e.state])).toEqual([
      ['svc-inference-0-0', 'unreachable'],
    ]);
    expect(r.epp.state).toBe('unreachable');
    for (const message of [r.endpoints[0].message, r.epp.message]) {
      expect(message).toBeDefined();
      expect(message).not.toMatch(INTERNAL);
      expect(message).not.toContain(String(port));
      expect(message).toMatch(/could not be reached/);
    }
    expect(JSON.stringify(r)).not.toContain(String(port));
    expect(JSON.stringify(r)).not.toContain('secret-token');
    // The cause (with the address) is in the log for operators.
    const logged = JSON.stringify(logger.warn.mock.calls);
    expect(logged).toContain(`127.0.0.1:${port}`);
  }, 20000);

  it('a pod proxy timeout says so without the request path', async () => {
    const { isvc, objects } = service();
    const client = new ClusterClient({
      name: 'dev',
      url: 'https://127.0.0.1:1',
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
    });
    jest
      .spyOn(client, 'podProxyGet')
      .mockRejectedValue(
        new ClusterApiError(
          'dev',
          undefined,
          'Timeout',
          'GET /api/v1/namespaces/team-a/pods/svc-inference-0-0:8000/proxy/metrics was aborted (timeout or cancelled)',
        ),
      );
    const collector = new MetricsCollector({
      logger: mockServices.logger.mock(),
      pollIntervalMs: 0,
      lookup: () => objects,
    });
    const r = await collector.get(client, isvc);
    expect(r.endpoints[0].state).toBe('unreachable');
    expect(r.endpoints[0].message).toMatch(/did not answer in time/);
    expect(r.endpoints[0].message).not.toMatch(INTERNAL);
    expect(r.epp.message).toMatch(/did not answer in time/);
    expect(r.epp.message).not.toMatch(INTERNAL);
  });

  it('an unreachable Prometheus is reported without its URL or the socket error', async () => {
    const port = await closedPort();
    const logger = mockServices.logger.mock();
    const source = new PrometheusSource({
      url: `http://127.0.0.1:${port}/prometheus`,
      logger,
    });
    const { isvc, objects } = service();
    const collector = new MetricsCollector({
      logger: mockServices.logger.mock(),
      pollIntervalMs: 0,
      prometheus: source,
      lookup: () => objects,
    });
    const client = new ClusterClient({
      name: 'dev',
      url: 'https://127.0.0.1:1',
      authProvider: 'serviceAccount',
      skipTLSVerify: true,
      mode: 'manage',
    });
    const r = await collector.get(client, isvc);
    expect(r.endpoints[0].state).toBe('unreachable');
    expect(r.epp.state).toBe('unreachable');
    const text = JSON.stringify(r);
    expect(text).not.toMatch(INTERNAL);
    expect(text).not.toContain(String(port));
    expect(r.endpoints[0].message).toMatch(/Prometheus could not be reached/);
    expect(JSON.stringify(logger.warn.mock.calls)).toContain(
      `127.0.0.1:${port}`,
    );
  });

  it('a Prometheus answer over maxResponseBytes is not read (bounded, named, no URL)', async () => {
    const source = new PrometheusSource({
      url: 'http://prom.internal:9090',
      maxResponseBytes: 1024,
      fetchImpl: (async () =>
        new Response(
          JSON.stringify({
            status: 'success',
            data: { result: [], padding: 'x'.repeat(4096) },
          }),
        )) as unknown as typeof fetch,
    });
    const r = await source.collect({
      namespace: 'team-a',
      leaders: [],
      eppPods: ['svc-epp-1'],
      hasRouter: true,
      poolName: 'svc-pool',
    });
    expect(r.epp).toEqual({
      state: 'unreachable',
      message: 'Prometheus answered more than 1 KiB; the answer was not read',
    });
  });
});
