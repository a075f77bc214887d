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
  InferenceService,
  renderInferenceService,
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
