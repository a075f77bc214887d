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

import { capacityFit, clusterCapacityOf, podGpuRequest } from './capacity';
import { KubeObject, Pod } from './types';

const node = (name: string, gpus?: string, unschedulable = false) =>
  ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: unschedulable ? { unschedulable } : {},
    status: { allocatable: gpus ? { 'nvidia.com/gpu': gpus } : {} },
  }) as KubeObject;

const pod = (
  nodeName: string | undefined,
  gpus: string[],
  phase: string = 'Running',
  init: string[] = [],
) =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${Math.random()}`, namespace: 'x' },
    spec: {
      nodeName,
      containers: gpus.map(g => ({
        resources: { limits: { 'nvidia.com/gpu': g } },
      })),
      initContainers: init.map(g => ({
        resources: { requests: { 'nvidia.com/gpu': g } },
      })),
    },
    status: { phase },
  }) as unknown as Pod;

describe('clusterCapacityOf', () => {
  it('subtracts what scheduled, non-terminated pods request, per node', () => {
    const c = clusterCapacityOf(
      [
        node('a', '8'),
        node('b', '8'),
        node('cpu'),
        node('cordoned', '8', true),
      ],
      [
        pod('a', ['4', '2']),
        pod('b', ['8'], 'Succeeded'),
        pod('b', ['1'], 'Failed'),
        pod(undefined, ['8'], 'Pending'),
        pod('b', ['1'], 'Pending'),
      ],
    );
    expect(c).toEqual({
      totalGpus: 16,
      freeGpus: 9,
      largestFreeBlockGpus: 7,
      nodes: 2,
    });
  });

  it('counts a larger init container, and never goes below zero or trusts garbage', () => {
    expect(podGpuRequest(pod('a', ['1'], 'Running', ['4']))).toBe(4);
    expect(podGpuRequest(pod('a', ['bogus', '-3']))).toBe(0);
    const c = clusterCapacityOf([node('a', '2')], [pod('a', ['8'])]);
    expect(c).toMatchObject({ freeGpus: 0, largestFreeBlockGpus: 0 });
  });
});

describe('capacityFit', () => {
  const cap = {
    totalGpus: 32,
    freeGpus: 16,
    largestFreeBlockGpus: 8,
    nodes: 4,
  };
  it('says 1 GPU in the singular', () => {
    expect(capacityFit({ gpus: 1, gpusPerPod: 1 }, cap).message).toBe(
      'fits: needs 1 GPU (1 per pod), 16 of 32 GPUs are free on 4 nodes, the largest free block is 8',
    );
    expect(
      capacityFit(
        { gpus: 2, gpusPerPod: 1 },
        { ...cap, freeGpus: 1, largestFreeBlockGpus: 1 },
      ).message,
    ).toBe('does not fit: needs 2 GPUs, 1 of 32 GPUs is free on 4 nodes');
  });
  it('says whether a deployment fits, in one sentence', () => {
    expect(capacityFit({ gpus: 16, gpusPerPod: 8 }, cap)).toEqual({
      fits: true,
      message:
        'fits: needs 16 GPUs (8 per pod), 16 of 32 GPUs are free on 4 nodes, the largest free block is 8',
    });
    expect(capacityFit({ gpus: 24, gpusPerPod: 8 }, cap)).toEqual({
      fits: false,
      message: 'does not fit: needs 24 GPUs, 16 of 32 GPUs are free on 4 nodes',
    });
    expect(capacityFit({ gpus: 16, gpusPerPod: 16 }, cap).message).toBe(
      'does not fit: a pod needs 16 GPUs on one node, the largest free block is 8',
    );
    expect(capacityFit({ gpus: 0, gpusPerPod: 0 }, cap).fits).toBe(true);
  });

  it('reports an unknown capacity without a verdict', () => {
    const f = capacityFit({ gpus: 8, gpusPerPod: 8 }, undefined);
    expect(f.fits).toBeUndefined();
    expect(f.message).toMatch(/unknown/);
  });
});
