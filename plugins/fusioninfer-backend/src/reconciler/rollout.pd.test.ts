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

/*
 * Prefill/decode rollouts under load (issue 19): the development cluster's Gateway routes a P/D service as llm-d does
 * (a decode destination, a prefill peer), so every answer says which prefill and which decode image served it. An
 * image change of both roles moves decode first; no request is ever prefilled by a new prefill and decoded by an old
 * decode, while the service keeps answering. With `fusioninfer.io/revision-label: "true"` the pods carry their pair's
 * revision and pair within it, so no old prefill serves a new decode either.
 */

import { demoGateway, runLoad } from '@fusioninfer/dev-cluster';
import { InferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { waitFor } from '@fusioninfer/test-utils';
import { KubeConfig } from '@kubernetes/client-node';
import { startReconciledDevCluster } from '../__testUtils__/canaryHarness';

const ns = 'default';
const V1 = 'vllm/vllm-openai:v0.27.1';
const V2 = 'vllm/vllm-openai:v0.28.0';

const role = (name: string, componentType: string, image: string) => ({
  name,
  componentType,
  // Three replicas, one down at a time: while a role moves, old and new replicas serve side by side for a start-up.
  replicas: 3,
  template: {
    spec: {
      containers: [{ name: 'vllm', image, args: ['--model', 'Qwen/Qwen3-8B'] }],
    },
  },
});

const service = (image: string, rolloutPolicy?: string): InferenceService =>
  ({
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name: 'pd',
      namespace: ns,
      ...(rolloutPolicy
        ? {
            annotations: {
              'fusioninfer.io/rollout': rolloutPolicy,
              'fusioninfer.io/revision-label': 'true',
            },
          }
        : {}),
    },
    spec: {
      roles: [
        {
          name: 'router',
          componentType: 'router',
          strategy: 'pd-disaggregation',
          httproute: {
            parentRefs: [{ name: 'inference-gateway' }],
            hostnames: ['pd.example.com'],
          },
        },
        role('prefill', 'prefiller', image),
        role('decode', 'decoder', image),
      ],
    },
  }) as unknown as InferenceService;

describe('prefill/decode rollout through the Gateway', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  /**
   * Three prefill and three decode replicas at V1 on the dev cluster, then an image change of both roles to V2 under
   * 10 requests/s through the Gateway: what the load saw (by prefill->decode images) and the revision labels of the
   * model-server pods at the end.
   */
  const rollBothRoles = async (rolloutPolicy?: string) => {
    const started = await startReconciledDevCluster({
      simulation: { podStartupDelayMs: 1500 },
    });
    close = started.close;
    const { dev, client } = started;
    await client.apply(demoGateway(ns) as any);
    await client.apply(service(V1, rolloutPolicy) as any);
    const modelServers = async () =>
      (await client.list<any>(KINDS.Pod, ns)).filter(
        p =>
          p.metadata.labels?.['fusioninfer.io/service'] === 'pd' &&
          ['prefiller', 'decoder'].includes(
            p.metadata.labels?.['fusioninfer.io/component-type'],
          ) &&
          !p.metadata.deletionTimestamp,
      );
    const readyLeaders = async (image: string) =>
      (await modelServers()).filter(
        p =>
          p.spec.containers[0].image === image &&
          p.status?.conditions?.some(
            (c: any) => c.type === 'Ready' && c.status === 'True',
          ),
      ).length;
    await waitFor(async () => (await readyLeaders(V1)) === 6, {
      timeoutMs: 60_000,
      what: 'three prefill and three decode replicas Ready',
    });
    const kc = new KubeConfig();
    kc.loadFromString(dev.kubeconfig());
    const traffic = runLoad({
      kubeConfig: kc,
      namespace: ns,
      gateway: { name: 'inference-gateway', host: 'pd.example.com' },
      rps: 10,
      durationSeconds: 45,
      maxTokens: 8,
      promptMix: 'random',
    });
    await client.mergePatch(KINDS.InferenceService, ns, 'pd', {
      spec: service(V2, rolloutPolicy).spec,
    });
    await waitFor(async () => (await readyLeaders(V2)) === 6, {
      timeoutMs: 60_000,
      what: 'every replica at the new image and Ready',
    });
    const result = await traffic;
    const revisions = [
      ...new Set(
        (await modelServers()).map(
          p => p.metadata.labels?.['fusioninfer.io/revision'],
        ),
      ),
    ];
    return { result, pairs: result.byPair ?? {}, revisions };
  };

  it('never pairs a new prefill with an old decode while both roles move (decode first), and keeps answering', async () => {
    const { result, pairs, revisions } = await rollBothRoles();
    // Every answer was prefilled and decoded somewhere, and the service answered throughout.
    expect(Object.keys(pairs).length).toBeGreaterThan(0);
    expect(result.failed / result.sent).toBeLessThan(0.05);
    expect(pairs[`${V1}->${V1}`]).toBeGreaterThan(0);
    expect(pairs[`${V2}->${V2}`]).toBeGreaterThan(0);
    // Never a new prefill handing its KV cache to an old decode.
    expect(pairs[`${V2}->${V1}`] ?? 0).toBe(0);
    // Without the opt-in the pods are as upstream renders them: no revision label.
    expect(revisions).toEqual([undefined]);
  }, 150_000);

  it('with revision labels the pods carry their pair revision and pair within it: no mixed pair either way', async () => {
    const { result, pairs, revisions } = await rollBothRoles(
      '{"*": {"maxUnavailable": 1}}',
    );
    expect(result.failed / result.sent).toBeLessThan(0.05);
    expect(pairs[`${V1}->${V1}`]).toBeGreaterThan(0);
    expect(pairs[`${V2}->${V2}`]).toBeGreaterThan(0);
    // Neither a new prefill for an old decode nor an old prefill for a new one (new decodes serve alone until a new
    // prefill is Ready).
    expect(pairs[`${V2}->${V1}`] ?? 0).toBe(0);
    expect(pairs[`${V1}->${V2}`] ?? 0).toBe(0);
    expect(revisions).toEqual([expect.stringMatching(/^[a-z0-9]+$/)]);
  }, 150_000);
});
