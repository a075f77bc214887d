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

import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { startDevCluster } from '../cluster';
import { demoGateway } from '../sim/gateway';
import { loadSchedule, parseLoadShape, runLoad } from '.';
import { loadExample, waitFor } from '@fusioninfer/test-utils';

describe('load generator', () => {
  it.each([
    ['http', false],
    ['https with the CA from the kubeconfig', true],
  ])(
    'spreads bounded load over the leader pods of a service and moves their metrics (%s)',
    async (_name, tls) => {
      const dev = await startDevCluster({
        tls,
        simulation: { podStartupDelayMs: 30, engine: { timeScale: 100 } },
      });
      try {
        const kc = new KubeConfig();
        kc.loadFromString(dev.kubeconfig());
        const isvc = loadExample('single-node-router-2-replicas');
        for (const child of renderInferenceService(isvc).children.filter(
          c => c.kind === 'LeaderWorkerSet',
        )) {
          await kc
            .makeApiClient(KubernetesObjectApi)
            .patch(
              child as any,
              undefined,
              undefined,
              'test',
              true,
              PatchStrategy.ServerSideApply,
            );
        }
        const deadline = Date.now() + 8000;
        let result;
        for (;;) {
          try {
            result = await runLoad({
              kubeConfig: kc,
              namespace: 'default',
              service: 'qwen',
              rps: 40,
              durationSeconds: 1,
              maxTokens: 4,
            });
            if (Object.keys(result.byPod).length === 2) break;
          } catch (e) {
            if (Date.now() > deadline) throw e;
          }
          if (Date.now() > deadline) break;
          await new Promise(r => setTimeout(r, 50));
        }
        expect(result!.failed).toBe(0);
        expect(result!.sent).toBeLessThanOrEqual(40);
        expect(Object.keys(result!.byPod).sort()).toEqual([
          'qwen-inference-0-0',
          'qwen-inference-1-0',
        ]);
        const engine = dev.simulation!.engineFor(
          'default',
          'qwen-inference-0-0',
        )!;
        expect(engine.state.requests).toBeGreaterThan(0);
        expect(engine.state.prefixHits).toBeGreaterThan(0);
        await expect(
          runLoad({
            kubeConfig: kc,
            namespace: 'default',
            service: 'nothing',
            rps: 1,
            durationSeconds: 1,
          }),
        ).rejects.toThrow('no ready leader pods');
      } finally {
        await dev.close();
      }
    },
    20000,
  );
});

describe('load generator through a Gateway', () => {
  it('sends every request through the Gateway Service with the Host header and counts answers by backend per second', async () => {
    // Over https, as `npm start`'s cluster: the Host header names the gateway's host, not the API server's.
    const dev = await startDevCluster({
      tls: true,
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: { podStartupDelayMs: 30, engine: { timeScale: 100 } },
    });
    try {
      const create = (group: string, plural: string, body: any) =>
        dev.api.create(
          dev.api.findType(group, 'v1', plural)!,
          'default',
          body,
          {
            fieldManager: 'test',
          },
        );
      create('leaderworkerset.x-k8s.io', 'leaderworkersets', {
        metadata: { name: 'stable' },
        spec: {
          replicas: 1,
          leaderWorkerTemplate: {
            size: 1,
            workerTemplate: {
              metadata: { labels: { app: 'stable' } },
              spec: {
                containers: [
                  {
                    name: 'vllm',
                    image: 'vllm/vllm-openai:v0.27.1',
                    args: ['--model', 'Qwen/Qwen3-8B'],
                  },
                ],
              },
            },
          },
        },
      });
      const pool = (name: string, app: string) => ({
        metadata: { name },
        spec: {
          selector: { matchLabels: { app } },
          targetPorts: [{ number: 8000 }],
          endpointPickerRef: { name: `${name}-epp`, port: { number: 9002 } },
        },
      });
      create(
        'inference.networking.k8s.io',
        'inferencepools',
        pool('stable', 'stable'),
      );
      create(
        'inference.networking.k8s.io',
        'inferencepools',
        pool('empty', 'none'),
      );
      create('gateway.networking.k8s.io', 'gateways', demoGateway('default'));
      create('gateway.networking.k8s.io', 'httproutes', {
        metadata: { name: 'llm' },
        spec: {
          parentRefs: [{ name: 'inference-gateway' }],
          hostnames: ['llm.example.com'],
          rules: [
            {
              backendRefs: [
                {
                  group: 'inference.networking.k8s.io',
                  kind: 'InferencePool',
                  name: 'stable',
                  weight: 3,
                },
                {
                  group: 'inference.networking.k8s.io',
                  kind: 'InferencePool',
                  name: 'empty',
                  weight: 1,
                },
              ],
            },
          ],
        },
      });
      const pods = dev.api.findType('', 'v1', 'pods')!;
      const leader = await waitFor(
        () =>
          dev.api
            .scan(pods, 'default')
            .find(p =>
              p.status?.conditions?.some(
                (c: any) => c.type === 'Ready' && c.status === 'True',
              ),
            ),
        { what: 'the model server Ready' },
      );
      await waitFor(() =>
        dev.api.tryGet(
          dev.api.findType('', 'v1', 'services')!,
          'default',
          'inference-gateway',
        ),
      );
      const kc = new KubeConfig();
      kc.loadFromString(dev.kubeconfig());
      const gateway = { name: 'inference-gateway', host: 'llm.example.com' };
      const result = await runLoad({
        kubeConfig: kc,
        namespace: 'default',
        gateway,
        rps: 40,
        durationSeconds: 1,
        maxTokens: 2,
      });
      expect(result.sent).toBe(result.ok + result.failed);
      const totals: Record<string, number> = {};
      for (const { counts } of result.byBackend!)
        for (const [k, n] of Object.entries(counts))
          totals[k] = (totals[k] ?? 0) + n;
      // the pool without endpoints is a quarter of the weight: P(none of 40 chose it) = 0.75^40 ≈ 1e-5
      expect(Object.keys(totals).sort()).toEqual([
        '503',
        'InferencePool/stable',
      ]);
      expect(totals['InferencePool/stable']).toBe(result.ok);
      expect(totals['503']).toBe(result.failed);
      expect(result.statuses['503']).toBe(result.failed);
      expect(result.byBackend!.map(b => b.second)).toEqual(
        result.byBackend!.map((_, i) => i),
      );
      expect(result.byPod).toEqual({
        [`${leader.status.podIP}:8000`]: result.ok,
      });
      // not a prefill/decode pool: no pairs
      expect(result.byPair).toBeUndefined();
      // without the Host header no route matches: every answer is the gateway's 404
      const unrouted = await runLoad({
        kubeConfig: kc,
        namespace: 'default',
        gateway: { name: 'inference-gateway' },
        rps: 10,
        durationSeconds: 0.5,
      });
      expect(unrouted.statuses).toEqual({ '404': unrouted.sent });
    } finally {
      await dev.close();
    }
  }, 20000);
});

describe('load generator through a Gateway to a prefill/decode service', () => {
  it('counts the answers by prefiller -> decoder image pair', async () => {
    const dev = await startDevCluster({
      nodes: [{ name: 'n0', gpus: 8 }],
      simulation: { podStartupDelayMs: 30, engine: { timeScale: 100 } },
    });
    try {
      const isvc = loadExample('router-pd-disaggregation-2-decode', {
        name: 'pd',
        namespace: 'default',
      });
      const images: Record<string, string> = {
        prefiller: 'vllm/vllm-openai:v0.27.1',
        decoder: 'vllm/vllm-openai:v0.27.2',
      };
      for (const role of isvc.spec.roles) {
        if (role.componentType === 'router')
          role.httproute = { parentRefs: [{ name: 'inference-gateway' }] };
        else {
          role.replicas = 1;
          role.template.spec.containers[0].image = images[role.componentType];
        }
      }
      const plurals: Record<string, string> = {
        PodGroup: 'podgroups',
        LeaderWorkerSet: 'leaderworkersets',
        InferencePool: 'inferencepools',
        HTTPRoute: 'httproutes',
      };
      // the model servers, their pool and route (no EPP: the simulated Gateway picks the endpoints)
      for (const child of renderInferenceService(isvc).children as any[]) {
        if (!plurals[child.kind]) continue;
        const [group, version] = child.apiVersion.split('/');
        dev.api.create(
          dev.api.findType(group, version, plurals[child.kind])!,
          'default',
          child,
          { fieldManager: 'test' },
        );
      }
      dev.api.create(
        dev.api.findType('gateway.networking.k8s.io', 'v1', 'gateways')!,
        'default',
        demoGateway('default'),
        { fieldManager: 'test' },
      );
      const pods = dev.api.findType('', 'v1', 'pods')!;
      await waitFor(
        () =>
          dev.api
            .scan(pods, 'default')
            .filter(p =>
              p.status?.conditions?.some(
                (c: any) => c.type === 'Ready' && c.status === 'True',
              ),
            ).length === 2,
        { what: 'the prefiller and the decoder Ready' },
      );
      await waitFor(() =>
        dev.api.tryGet(
          dev.api.findType('', 'v1', 'services')!,
          'default',
          'inference-gateway',
        ),
      );
      const kc = new KubeConfig();
      kc.loadFromString(dev.kubeconfig());
      const result = await runLoad({
        kubeConfig: kc,
        namespace: 'default',
        gateway: { name: 'inference-gateway' },
        rps: 20,
        durationSeconds: 1,
        maxTokens: 4,
      });
      expect(result.failed).toBe(0);
      expect(result.byPair).toEqual({
        'vllm/vllm-openai:v0.27.1->vllm/vllm-openai:v0.27.2': result.sent,
      });
    } finally {
      await dev.close();
    }
  }, 20000);
});

describe('load shapes', () => {
  const perSecond = (times: number[], duration: number) =>
    Array.from(
      { length: duration },
      (_, s) => times.filter(t => t >= s && t < s + 1).length,
    );

  it('constant: rps evenly, as before shapes existed', () => {
    const t = loadSchedule({ kind: 'constant' }, 4, 3, 1000);
    expect(t).toEqual([
      0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3,
    ]);
  });

  it('square: rps for the first half of every period, nothing in the second', () => {
    const t = loadSchedule(parseLoadShape('square:4'), 10, 8, 10_000);
    expect(perSecond(t, 8)).toEqual([10, 10, 0, 0, 10, 10, 0, 0]);
  });

  it('ramp: from nothing up to rps over the run', () => {
    const counts = perSecond(
      loadSchedule(parseLoadShape('ramp'), 20, 10, 10_000),
      10,
    );
    for (let i = 1; i < counts.length; i++)
      expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]);
    expect(counts[9]).toBeGreaterThanOrEqual(18);
    expect(counts.reduce((a, b) => a + b, 0)).toBeCloseTo(100, -1);
  });

  it('burst: rps for the burst, a tenth between, and bounded by max', () => {
    const counts = perSecond(
      loadSchedule(parseLoadShape('burst:5:1'), 20, 10, 10_000),
      10,
    );
    expect(counts).toEqual([20, 2, 2, 2, 2, 20, 2, 2, 2, 2]);
    expect(loadSchedule(parseLoadShape('square:2'), 1000, 60, 50)).toHaveLength(
      50,
    );
  });

  it('refuses shapes it cannot read, naming them', () => {
    expect(() => parseLoadShape('square')).toThrow(
      /square.*not a positive number/,
    );
    expect(() => parseLoadShape('burst:2:5')).toThrow(
      /cannot be longer than its period/,
    );
    expect(() => parseLoadShape('sine:3')).toThrow(
      /expected constant, square:PERIOD, ramp or burst/,
    );
  });
});
