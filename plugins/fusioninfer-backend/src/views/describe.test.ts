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
  LABELS,
  PodGroup,
  renderInferenceService,
  renderSurgeReplica,
  ROLLOUT_ANNOTATION,
  serviceDetailSchema,
} from '@fusioninfer/plugin-fusioninfer-common';
import { describeServiceFrom, gangProblem, ServiceObjects } from './describe';

const isvc = (replicas: number): InferenceService =>
  ({
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'huge', namespace: 'team-a', uid: 'u1', generation: 1 },
    spec: {
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          replicas,
          template: {
            spec: { containers: [{ name: 'c', image: 'vllm:ok' }] },
          },
        },
      ],
    },
  }) as InferenceService;

const none = (): ServiceObjects => ({
  leaderWorkerSets: [],
  pods: [],
  podGroups: [],
  deployments: [],
  pools: [],
  routes: [],
  events: [],
});

const lws = (name: string) =>
  ({
    apiVersion: 'leaderworkerset.x-k8s.io/v1',
    kind: 'LeaderWorkerSet',
    metadata: { name, namespace: 'team-a' },
    spec: {},
    status: { readyReplicas: 1 },
  }) as any;

describe('describeServiceFrom (review H2)', () => {
  it('never expands a stored object with replicas 2147483647: only the replicas that exist are listed', () => {
    const t0 = Date.now();
    const d = describeServiceFrom('dev', isvc(2147483647), {
      ...none(),
      leaderWorkerSets: [lws('huge-inference-0')],
    });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(d.roles[0].replicas.map(r => r.leaderWorkerSet)).toEqual([
      'huge-inference-0',
    ]);
    expect(d.spec.roles[0].replicas).toBe(2147483647);
    expect(serviceDetailSchema.safeParse(d).success).toBe(true);
  });

  it('lists no replica it would have to invent for a service over the replicas limit', () => {
    const d = describeServiceFrom('dev', isvc(200_000), none());
    expect(d.roles[0].replicas).toEqual([]);
  });

  it('lists every replica of a valid service, with its pods', () => {
    const d = describeServiceFrom('dev', isvc(3), {
      ...none(),
      leaderWorkerSets: [lws('huge-inference-1')],
      pods: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'huge-inference-1-0',
            namespace: 'team-a',
            labels: {
              'fusioninfer.io/role-name': 'inference',
              'fusioninfer.io/replica-index': '1',
              'leaderworkerset.sigs.k8s.io/worker-index': '0',
            },
          },
          spec: { containers: [] },
          status: { phase: 'Running' },
        } as any,
      ],
    });
    expect(
      d.roles[0].replicas.map(r => [r.index, r.readyGroups, r.pods.length]),
    ).toEqual([
      [0, 0, 0],
      [1, 1, 1],
      [2, 0, 0],
    ]);
    expect(d.roles[0].replicas[1].pods[0]).toMatchObject({
      name: 'huge-inference-1-0',
      leader: true,
      replica: 1,
    });
  });
});

describe('gang state read the way Volcano means it', () => {
  const pg = (phase: string, conditions: object[]): PodGroup =>
    ({
      apiVersion: 'scheduling.volcano.sh/v1beta1',
      kind: 'PodGroup',
      metadata: { name: 'huge', namespace: 'team-a' },
      spec: { minMember: 2 },
      status: { phase, conditions },
    }) as any;
  const unsched = {
    type: 'Unschedulable',
    status: 'True',
    reason: 'NotEnoughResources',
    message:
      '2/2 tasks in gang unschedulable: pod group is not ready, 2 Pending',
    lastTransitionTime: '2026-11-27T10:00:00Z',
  };
  const scheduled = {
    type: 'Scheduled',
    status: 'True',
    reason: 'tasks in gang are ready to be scheduled',
    lastTransitionTime: '2026-11-27T10:05:00Z',
  };

  it('a running gang never shows the stale Unschedulable condition Volcano leaves beside Scheduled', () => {
    const running = pg('Running', [unsched, scheduled]);
    expect(gangProblem(running)).toBeUndefined();
    const d = describeServiceFrom('dev', isvc(1), {
      ...none(),
      podGroups: [running],
    });
    expect(d.gang).toMatchObject({ phase: 'Running' });
    expect(d.gang!.unschedulable).toBeUndefined();
    // even a Running phase with only the old condition left
    expect(gangProblem(pg('Running', [unsched]))).toBeUndefined();
  });

  it('a gang that was scheduled after it was unschedulable has no problem; one stuck now has', () => {
    expect(gangProblem(pg('Pending', [unsched, scheduled]))).toBeUndefined();
    const later = { ...unsched, lastTransitionTime: '2026-11-27T10:09:00Z' };
    const stuck = pg('Inqueue', [scheduled, later]);
    expect(gangProblem(stuck)?.message).toContain('unschedulable');
    const d = describeServiceFrom('dev', isvc(1), {
      ...none(),
      podGroups: [stuck],
    });
    expect(d.gang!.unschedulable).toMatchObject({
      reason: 'NotEnoughResources',
      unschedulableTasks: 2,
      totalTasks: 2,
    });
  });
});

describe('describeServiceFrom: entityRef and createdAt', () => {
  it('reports the normalized entity ref and the creation timestamp', () => {
    const s = isvc(1);
    s.metadata.annotations = {
      'backstage.io/entity-ref': 'Component:Team-A/llama',
    };
    s.metadata.creationTimestamp = '2026-11-27T09:00:00Z';
    const d = describeServiceFrom('dev', s, none());
    expect(d.entityRef).toBe('component:team-a/llama');
    expect(d.createdAt).toBe('2026-11-27T09:00:00Z');
  });

  it('leaves both out when the service has neither', () => {
    const d = describeServiceFrom('dev', isvc(1), none());
    expect(d.entityRef).toBeUndefined();
    expect(d.createdAt).toBeUndefined();
  });
});

describe('describeServiceFrom: rollouts (issue 19)', () => {
  const at = (image: string, replicas = 4): InferenceService => {
    const s = isvc(replicas);
    s.spec.roles[0].template!.spec!.containers[0].image = image;
    return s;
  };
  const replicaOf = (s: InferenceService, index: number) =>
    renderInferenceService(s, { namespace: 'team-a', ownerUid: 'u1' })
      .children.filter(c => c.kind === 'LeaderWorkerSet')
      .find(c => c.metadata.labels?.[LABELS.replicaIndex] === String(index))!;
  const podOf = (l: any, ready: boolean) =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${l.metadata.name}-0`,
        namespace: 'team-a',
        labels: {
          ...l.metadata.labels,
          'leaderworkerset.sigs.k8s.io/name': l.metadata.name,
          [LABELS.lwsWorkerIndex]: '0',
        },
      },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      },
    }) as any;

  it('shows where an image change stands per role: at the new spec, Ready, the phase and the condition part', () => {
    const next = at('vllm:v2');
    next.status = {
      conditions: [
        {
          type: 'RolloutProgressing',
          status: 'True',
          reason: 'ReplicasUpdating',
          lastTransitionTime: '2026-12-05T06:00:00Z',
          message:
            'inference: 1 of 4 replicas at the new spec (0 Ready); waiting for replica 3 to be Ready',
        },
      ],
    } as any;
    const live = [0, 1, 2].map(i => replicaOf(at('vllm:v1'), i));
    live.push(replicaOf(next, 3));
    const pods = live.map((l, i) => podOf(l, i !== 3));
    const d = describeServiceFrom('dev', next, {
      ...none(),
      leaderWorkerSets: live as any,
      pods,
    });
    expect(serviceDetailSchema.safeParse(d).success).toBe(true);
    expect(d.roles[0].rollout).toEqual({
      policy: { maxUnavailable: 1, maxSurge: 0, partition: 0, paused: false },
      configured: false,
      active: true,
      replicas: 4,
      updatedReplicas: 1,
      readyReplicas: 0,
      surgeGpus: 0,
      surgeReplicas: 0,
      paused: false,
      phase: 'waiting',
      reason: 'waiting for replica 3 to be Ready',
      message:
        'inference: 1 of 4 replicas at the new spec (0 Ready); waiting for replica 3 to be Ready',
    });
  });

  it('has no rollout when every replica runs the rendered spec and no policy is set; a paused policy shows', () => {
    const s = at('vllm:v1');
    const live = [0, 1, 2, 3].map(i => replicaOf(s, i));
    const objects = {
      ...none(),
      leaderWorkerSets: live as any,
      pods: live.map(l => podOf(l, true)),
    };
    expect(describeServiceFrom('dev', s, objects).roles[0].rollout).toBe(
      undefined,
    );
    s.metadata.annotations = {
      [ROLLOUT_ANNOTATION]: '{"inference": {"paused": true}}',
    };
    const paused = describeServiceFrom('dev', s, objects).roles[0].rollout;
    expect(paused).toMatchObject({
      configured: true,
      active: false,
      paused: true,
      phase: 'complete',
      updatedReplicas: 4,
      readyReplicas: 4,
    });
    expect(paused?.reason).toBeUndefined();
  });

  it('counts surge replicas and their GPUs, and ignores a foreign LeaderWorkerSet with the labels', () => {
    const next = at('vllm:v2');
    // Two GPUs in the container and one in a sidecar: a surge replica adds the three the scheduler counts.
    const tpl = next.spec.roles[0].template!.spec!;
    tpl.containers[0].resources = { limits: { 'nvidia.com/gpu': '2' } };
    (tpl as any).initContainers = [
      {
        name: 'side',
        image: 'x',
        restartPolicy: 'Always',
        resources: { limits: { 'nvidia.com/gpu': '1' } },
      },
    ];
    const live: any[] = [0, 1, 2, 3].map(i => replicaOf(at('vllm:v1'), i));
    const surge = renderSurgeReplica(next, 'inference', 4, {
      namespace: 'team-a',
      ownerUid: 'u1',
    }).find(c => c.kind === 'LeaderWorkerSet')!;
    const foreign = {
      ...replicaOf(next, 0),
      metadata: {
        ...replicaOf(next, 0).metadata,
        name: 'other',
        ownerReferences: [],
      },
    };
    const d = describeServiceFrom('dev', next, {
      ...none(),
      leaderWorkerSets: [...live, surge, foreign],
      pods: [...live, surge].map(l => podOf(l, true)),
    });
    expect(d.roles[0].rollout).toMatchObject({
      active: true,
      surgeReplicas: 1,
      surgeGpus: 3,
      updatedReplicas: 0,
    });
  });
});
