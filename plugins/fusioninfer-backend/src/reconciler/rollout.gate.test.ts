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
  CANARY_ANNOTATION,
  InferenceService,
  KubeObject,
  Pod,
  renderInferenceService,
  TRACK_LABEL,
} from '@fusioninfer/plugin-fusioninfer-common';
import { gateRollout } from './rollout';

describe('gateRollout', () => {
  it('asks whether a surge replica fits with the GPUs the scheduler counts, a GPU sidecar included', () => {
    const isvc = {
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 's', namespace: 'default', uid: 'u' },
      spec: {
        roles: [
          {
            name: 'inference',
            componentType: 'worker',
            replicas: 1,
            multinode: { nodeCount: 2 },
            template: {
              spec: {
                initContainers: [
                  {
                    name: 'side',
                    image: 'x',
                    restartPolicy: 'Always',
                    resources: { limits: { 'nvidia.com/gpu': '2' } },
                  },
                ],
                containers: [
                  {
                    name: 'vllm',
                    image: 'vllm/vllm-openai:v0.27.1',
                    resources: { limits: { 'nvidia.com/gpu': '1' } },
                  },
                ],
              },
            },
          },
        ],
      },
    } as unknown as InferenceService;
    const desired = renderInferenceService(isvc).children;
    const old = desired.find(c => c.kind === 'LeaderWorkerSet')!;
    const asked: Array<[number, number]> = [];
    gateRollout({
      isvc,
      desired,
      // The live replica runs another spec, so the plan considers a surge replica.
      liveLws: [
        {
          ...old,
          metadata: {
            ...old.metadata,
            labels: {
              ...old.metadata.labels,
              'fusioninfer.io/spec-hash': 'old',
            },
          },
        },
      ],
      pods: [],
      render: {},
      surgeBlockedBy: (_role, gpusPerPod, pods) => {
        asked.push([gpusPerPod, pods]);
        return 'no room';
      },
    });
    expect(asked).toEqual([[3, 2]]);
  });
});

describe('gateRollout of a canary service', () => {
  const isvc = {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name: 'c',
      namespace: 'default',
      uid: 'u',
      annotations: { [CANARY_ANNOTATION]: '{}' },
    },
    spec: {
      roles: [
        { name: 'router', componentType: 'router' },
        {
          name: 'inference',
          componentType: 'worker',
          replicas: 2,
          template: {
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image: 'vllm/vllm-openai:v0.28.0',
                  resources: { limits: { 'nvidia.com/gpu': '2' } },
                },
              ],
            },
          },
        },
      ],
    },
  } as unknown as InferenceService;
  const desired = renderInferenceService(isvc).children;
  // Two Ready stable replicas at an older spec whose pods carry the stable track.
  const liveLws = desired
    .filter(c => c.kind === 'LeaderWorkerSet')
    .map(l => ({
      ...l,
      metadata: {
        ...l.metadata,
        labels: { ...l.metadata.labels, 'fusioninfer.io/spec-hash': 'old' },
      },
    }));
  /** One Ready pod of the stable track per replica, at the replica's spec hash. */
  const readyStablePods = (lws: KubeObject[]) =>
    lws.map(l => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${l.metadata.name}-0`,
        namespace: 'default',
        labels: {
          'leaderworkerset.sigs.k8s.io/name': l.metadata.name!,
          'leaderworkerset.sigs.k8s.io/worker-index': '0',
          'fusioninfer.io/spec-hash':
            l.metadata.labels!['fusioninfer.io/spec-hash'],
          [TRACK_LABEL]: 'stable',
        },
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    })) as unknown as Pod[];
  const pods = readyStablePods(liveLws);
  const gate = (blocked?: string) =>
    gateRollout({
      isvc,
      desired,
      liveLws,
      pods,
      render: {},
      surgeBlockedBy: (_r, gpusPerPod, n) =>
        blocked ? `${blocked} (${gpusPerPod * n} GPUs)` : undefined,
    });

  it('starts a canary where there is room: canary children rendered, every stable replica held', () => {
    const out = gate();
    expect(out.canary?.mode).toMatchObject({
      active: true,
      renderCanary: true,
      holdStable: true,
    });
    expect(out.children.map(c => c.metadata.name)).toContain(
      'c-inference-canary-0',
    );
    expect(out.step!.roles[0]).toMatchObject({ update: [], hold: [1, 0] });
    expect(out.condition).toMatchObject({
      reason: 'Canary',
      message: expect.stringMatching(/canary starting/),
    });
  });

  it('without room for the canary (quota or free GPUs) the change goes in waves and says why', () => {
    const out = gate('the project may add 0 more GPUs');
    expect(out.canary?.mode).toMatchObject({
      active: false,
      renderCanary: false,
    });
    expect(
      out.children.some(c => c.metadata.name === 'c-inference-canary-0'),
    ).toBe(false);
    expect(out.step!.roles[0].update).toEqual([1]);
    expect(out.condition).toMatchObject({
      reason: 'ReplicasUpdating',
      message: expect.stringMatching(
        /no room for the canary's replicas \(the project may add 0 more GPUs \(2 GPUs\)\): this change rolls out in waves/,
      ),
    });
  });
  it('creates a replica the count adds while the canary runs at the stable spec, as a copy of a stable replica', () => {
    // The stable replicas run v0.27.1 (rendered from that spec, so with the hashes render gives); the spec asks for
    // v0.28.0 (the canary's revision) and, scaled up meanwhile, 3 replicas.
    const stableSpec = JSON.parse(JSON.stringify(isvc));
    stableSpec.spec.roles[1].template.spec.containers[0].image =
      'vllm/vllm-openai:v0.27.1';
    const live = renderInferenceService(stableSpec)
      .children.filter(c => c.kind === 'LeaderWorkerSet')
      .map(l => {
        const copy = JSON.parse(JSON.stringify(l));
        // what the API server adds: defaults, status
        copy.spec.networkConfig = { subdomainPolicy: 'Shared' };
        copy.metadata.uid = `uid-${l.metadata.name}`;
        copy.status = { readyReplicas: 1 };
        for (const t of [copy.spec.leaderWorkerTemplate.workerTemplate])
          t.metadata.labels[TRACK_LABEL] = 'stable';
        return copy;
      });
    const livePods = readyStablePods(live);
    const scaled = JSON.parse(JSON.stringify(isvc));
    scaled.spec.roles[1].replicas = 3;
    const out = gateRollout({
      isvc: scaled,
      desired: renderInferenceService(scaled).children,
      liveLws: live,
      pods: livePods,
      render: {},
      surgeBlockedBy: () => undefined,
    });
    expect(out.canary?.mode.holdStable).toBe(true);
    const added = out.children.find(
      c => c.metadata.name === 'c-inference-2',
    ) as any;
    const template = added.spec.leaderWorkerTemplate.workerTemplate;
    // the stable image and track, its own index, owner and a hash of its own (never "at the new spec")
    expect(template.spec.containers[0].image).toBe('vllm/vllm-openai:v0.27.1');
    expect(template.metadata.labels).toMatchObject({
      [TRACK_LABEL]: 'stable',
      'fusioninfer.io/replica-index': '2',
    });
    expect(added.metadata.labels['fusioninfer.io/replica-index']).toBe('2');
    expect(added.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: 'u' }),
    ]);
    expect(added.metadata.uid).toBeUndefined();
    expect(added.status).toBeUndefined();
    const rendered = renderInferenceService(scaled).children.find(
      c => c.metadata.name === 'c-inference-2',
    )!;
    expect(added.metadata.labels['fusioninfer.io/spec-hash']).not.toBe(
      rendered.metadata.labels!['fusioninfer.io/spec-hash'],
    );
    expect(template.metadata.labels['fusioninfer.io/spec-hash']).toBe(
      added.metadata.labels['fusioninfer.io/spec-hash'],
    );
    // the two replicas there are held, the canary runs beside them
    expect(out.step!.roles[0]).toMatchObject({ update: [], hold: [1, 0] });
    expect(out.children.map(c => c.metadata.name)).toContain(
      'c-inference-canary-0',
    );
  });
  it('never copies a stable replica that asks for more than the spec the policy approved: GPUs, sidecars, pods', () => {
    // The canary's spec asks for 2 GPUs a pod (what the policy counted for the scale-up); stable replicas asking for
    // more, in the container, in a GPU sidecar, or with more pods, are not copied: the added replica runs the spec.
    const variants: Array<[string, (role: any) => void]> = [
      [
        '8 GPUs',
        r => {
          r.template.spec.containers[0].resources.limits['nvidia.com/gpu'] =
            '8';
        },
      ],
      [
        'a GPU sidecar',
        r => {
          r.template.spec.initContainers = [
            {
              name: 'side',
              image: 'x',
              restartPolicy: 'Always',
              resources: { limits: { 'nvidia.com/gpu': '4' } },
            },
          ];
        },
      ],
      [
        'another accelerator name',
        r => {
          r.template.spec.containers[0].resources.limits['amd.com/gpu'] = '1';
        },
      ],
      [
        'two nodes a replica',
        r => {
          r.multinode = { nodeCount: 2 };
        },
      ],
    ];
    for (const [what, change] of variants) {
      const stableSpec = JSON.parse(JSON.stringify(isvc));
      stableSpec.spec.roles[1].template.spec.containers[0].image =
        'vllm/vllm-openai:v0.27.1';
      change(stableSpec.spec.roles[1]);
      const live = renderInferenceService(stableSpec).children.filter(
        c => c.kind === 'LeaderWorkerSet',
      );
      const scaled = JSON.parse(JSON.stringify(isvc));
      scaled.spec.roles[1].replicas = 3;
      const scaledChildren = renderInferenceService(scaled).children;
      const out = gateRollout({
        isvc: scaled,
        desired: scaledChildren,
        liveLws: live,
        pods: readyStablePods(live),
        render: {},
        surgeBlockedBy: () => undefined,
      });
      expect({ what, holdStable: out.canary?.mode.holdStable }).toEqual({
        what,
        holdStable: true,
      });
      expect({
        what,
        added: out.children.find(c => c.metadata.name === 'c-inference-2'),
      }).toEqual({
        what,
        added: scaledChildren.find(c => c.metadata.name === 'c-inference-2'),
      });
    }
  });
});
