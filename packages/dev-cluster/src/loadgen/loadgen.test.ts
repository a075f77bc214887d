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
import { runLoad } from '.';
import { loadExample } from '@fusioninfer/test-utils';

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
