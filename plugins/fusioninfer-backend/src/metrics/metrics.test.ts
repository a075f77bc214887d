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
  parsePrometheusText,
  RoutingMetricsResponse,
} from '@fusioninfer/plugin-fusioninfer-common';
import { DevCluster, runLoad, startDevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient } from '@fusioninfer/plugin-fusioninfer-node';
import { fusioninferPlugin } from '../plugin';
import {
  devClusterConfig,
  loadExample,
  waitFor,
} from '@fusioninfer/test-utils';
import { startFusionInferTestBackend } from '@fusioninfer/test-utils/backend';

async function withBackend(
  dev: DevCluster,
  epp: { disableMetricsAuth?: boolean },
) {
  const { server } = await startFusionInferTestBackend({
    plugin: fusioninferPlugin,
    cluster: dev,
    config: {
      reconciler: { leaseDurationSeconds: 1 },
      metrics: { minIntervalSeconds: 0, pollIntervalSeconds: 0 },
      epp,
    },
  });
  return server;
}

describe('routing metrics through the API server pod proxy', () => {
  let dev: DevCluster;
  let client: ClusterClient;
  beforeAll(async () => {
    dev = await startDevCluster({ simulation: { podStartupDelayMs: 40 } });
    client = new ClusterClient(devClusterConfig(dev.url));
    await client.apply(
      loadExample('single-node-router-2-replicas.yaml', {
        name: 'qwen',
        namespace: 'default',
      }),
      { fieldManager: 'kubectl' },
    );
    await client.apply(
      loadExample('monolithic-no-router.yaml', {
        name: 'plain',
        namespace: 'default',
      }),
      { fieldManager: 'kubectl' },
    );
  });
  afterAll(() => dev.close());

  it('reads every leader and the EPP, turns load into rates, keeps history, and says when there is no router', async () => {
    const server = await withBackend(dev, { disableMetricsAuth: true });
    const url =
      '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen/metrics';
    const first: RoutingMetricsResponse = await waitFor(async () => {
      const r = await request(server).get(url);
      return (
        r.status === 200 &&
        r.body.endpoints.length === 2 &&
        r.body.endpoints.every((e: any) => e.state === 'ok') &&
        r.body.epp.state === 'ok' &&
        // the EPP may answer before its InferencePool exists (the simulated EPP then counts every ready pod)
        r.body.epp.metrics?.pool?.readyEndpoints === 2 &&
        r.body
      );
    }, 15_000);
    expect(first.source).toBe('pod-proxy');
    expect(first.strategy).toBe('prefix-cache');
    expect(first.poolName).toBe('qwen-pool');
    expect(
      first.endpoints.map(e => [
        e.pod,
        e.role,
        e.componentType,
        e.replicaIndex,
      ]),
    ).toEqual([
      ['qwen-inference-0-0', 'inference', 'worker', 0],
      ['qwen-inference-1-0', 'inference', 'worker', 1],
    ]);
    expect(first.epp.metrics!.pool.readyEndpoints).toBe(2);
    expect(first.warnings).toEqual([]);

    const load = await runLoad({
      kubeConfig: client.kubeConfig,
      namespace: 'default',
      service: 'qwen',
      rps: 40,
      durationSeconds: 1.5,
      promptMix: 'shared-prefix',
      maxTokens: 8,
    });
    expect(load.ok).toBeGreaterThan(40);
    const after: RoutingMetricsResponse = (await request(server).get(url)).body;
    expect(after.endpoints.every(e => e.metrics?.window === 'rate')).toBe(true);
    expect(after.pool.reporting).toBe(2);
    expect(after.pool.requestRate).toBeGreaterThan(0);
    expect(after.pool.prefixCacheHitRate).toBeGreaterThan(0.3);
    expect(after.endpoints[0].metrics!.ttft!.count).toBeGreaterThan(0);
    expect(after.roles.inference.requestRate).toBe(after.pool.requestRate);
    expect(after.epp.metrics!.requestRate).toBeGreaterThan(0);
    expect(after.history.length).toBeGreaterThanOrEqual(2);
    expect(
      Object.keys(after.history[after.history.length - 1].endpoints ?? {}),
    ).toHaveLength(2);

    const plain = await waitFor(async () => {
      const r = await request(server).get(
        '/api/fusioninfer/clusters/dev/namespaces/default/services/plain/metrics',
      );
      return r.status === 200 && r.body.endpoints[0]?.state === 'ok' && r.body;
    }, 15_000);
    expect(plain.epp).toEqual({ state: 'no-router' });
    expect(plain.strategy).toBeUndefined();
  }, 60000);

  it('reports "unavailable (auth)" when the EPP refuses the scrape (GIE default), not an error', async () => {
    // A cluster of its own: the first backend still leads the shared one and renders EPPs without metrics auth.
    const own = await startDevCluster({
      simulation: { podStartupDelayMs: 40 },
    });
    const ownClient = new ClusterClient(devClusterConfig(own.url));
    await ownClient.apply(
      loadExample('single-node-router-2-replicas.yaml', {
        name: 'qwen',
        namespace: 'default',
      }),
      { fieldManager: 'kubectl' },
    );
    const server = await withBackend(own, {});
    const body = await waitFor(async () => {
      const r = await request(server).get(
        '/api/fusioninfer/clusters/dev/namespaces/default/services/qwen/metrics',
      );
      // What a user waits for: the EPP answered (refused) and every model server is scraped.
      return (
        r.status === 200 &&
        r.body.epp.state !== 'not-ready' &&
        r.body.epp.state !== 'ok' &&
        r.body.endpoints.length > 0 &&
        r.body.endpoints.every((e: any) => e.state === 'ok') &&
        r.body
      );
    }, 30_000);
    expect(body.epp.state).toBe('unavailable-auth');
    expect(body.epp.message).toMatch(/401.*metrics-endpoint-auth/);
    expect(body.endpoints.every((e: any) => e.state === 'ok')).toBe(true);
    await own.close();
  }, 60000);

  it('the simulated servers speak a format the parser reads without error', async () => {
    const vllm = await client.podProxyGet(
      'default',
      'qwen-inference-0-0',
      8000,
      '/metrics',
    );
    expect(vllm.status).toBe(200);
    const exp = parsePrometheusText(vllm.body);
    expect(exp.errors).toEqual([]);
    expect(exp.byName.has('vllm:kv_cache_usage_perc')).toBe(true);
  });

  it('an unknown service is a 404 and a missing cluster a 404, never a stack trace', async () => {
    const server = await withBackend(dev, {});
    const r = await request(server).get(
      '/api/fusioninfer/clusters/dev/namespaces/default/services/nope/metrics',
    );
    expect(r.status).toBe(404);
    expect(r.body.error.name).toBe('NotFoundError');
  });
});
