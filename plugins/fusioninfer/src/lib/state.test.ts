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

import { fixture } from '../__testUtils__';
import { gangView } from './state';

const service = (name: string) => fixture(name).items[0].service;

describe('gangView', () => {
  it('names the task, the GPUs it needs and the scheduler message for a gang that does not fit', () => {
    const d = service('entity-services-gang');
    const v = gangView(d.gang, d, fixture('children-gang').summary);
    expect(v.severity).toBe('error');
    expect(v.sentence).toBe(
      'inference-0 cannot start: it needs 40 GPUs on 5 nodes (8 per pod) at the same time, and the scheduler reports "0/4 nodes are available: 4 Insufficient nvidia.com/gpu".',
    );
  });

  it("says the largest free block when the backend knows the cluster's GPUs", () => {
    const d = service('entity-services-gang');
    d.gang.capacity = {
      totalGpus: 32,
      freeGpus: 16,
      largestFreeBlockGpus: 8,
      nodes: 4,
    };
    expect(gangView(d.gang, d, fixture('children-gang').summary).sentence).toBe(
      'inference-0 cannot start: it needs 40 GPUs on 5 nodes (8 per pod) at the same time, the largest free block is 8 (16 of 32 GPUs free on 4 nodes), and the scheduler reports "0/4 nodes are available: 4 Insufficient nvidia.com/gpu".',
    );
  });

  it('never reports a scheduling error for a running gang that still carries a stale Unschedulable condition', () => {
    const d = service('entity-services-qwen');
    expect(d.gang.phase).toBe('Running');
    d.gang.unschedulable = service('entity-services-gang').gang.unschedulable;
    expect(gangView(d.gang, d)).toEqual({ severity: 'ok', shortTasks: [] });
  });

  it('explains a gang waiting for its pods', () => {
    const d = service('entity-services-gang');
    d.gang.unschedulable = {
      reason: 'NotEnoughTasks',
      message: 'Not enough valid tasks for gang-scheduling, valid: 3, min: 5',
    };
    expect(gangView(d.gang, d).sentence).toMatch(
      /^Waiting for pods: the gang needs 5 pods/,
    );
  });

  it('counts one GPU, node, pod or task in the singular', () => {
    const d = service('entity-services-gang');
    const summary = fixture('children-gang').summary;
    summary.roles[0].acceleratorsPerPod = { 'nvidia.com/gpu': 1 };
    d.gang.tasks = [
      { task: 'inference-0', min: 1, scheduled: 0 },
      { task: 'inference-1', min: 1, scheduled: 0 },
    ];
    d.gang.capacity = {
      totalGpus: 1,
      freeGpus: 0,
      largestFreeBlockGpus: 0,
      nodes: 1,
    };
    expect(gangView(d.gang, d, summary).sentence).toMatch(
      /^inference-0 cannot start: it needs 1 GPU on 1 node \(1 per pod\) at the same time, the largest free block is 0 \(0 of 1 GPU free on 1 node\), .* \(1 more task waiting too\)\.$/,
    );
    d.gang.minMember = 1;
    d.gang.unschedulable = { reason: 'NotEnoughTasks' };
    expect(gangView(d.gang, d).sentence).toMatch(
      /^Waiting for pods: the gang needs 1 pod before/,
    );
  });
});
