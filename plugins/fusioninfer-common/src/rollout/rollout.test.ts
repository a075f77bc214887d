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

import { renderInferenceService, renderSurgeReplica } from '../render';
import { validateInferenceService } from '../validate';
import {
  readRolloutPolicies,
  REVISION_LABEL,
  REVISION_LABEL_ANNOTATION,
  ROLLOUT_ANNOTATION,
  withRolloutPaused,
} from './policy';
import {
  planRoleRollout,
  planRollout,
  ReplicaObservation,
  RoleRolloutInput,
} from './plan';

const svc = (
  annotation: unknown,
  roles: Array<{ name: string; replicas?: number }>,
) => ({
  metadata: {
    name: 's',
    ...(annotation === undefined
      ? {}
      : {
          annotations: {
            [ROLLOUT_ANNOTATION]:
              typeof annotation === 'string'
                ? annotation
                : JSON.stringify(annotation),
          },
        }),
  },
  spec: { roles: roles.map(r => ({ componentType: 'worker', ...r })) },
});

describe('readRolloutPolicies', () => {
  it('defaults never take a role down: one at a time, a single replica by surge', () => {
    const { policies, issues } = readRolloutPolicies(
      svc(undefined, [
        { name: 'a', replicas: 4 },
        { name: 'b', replicas: 1 },
      ]),
    );
    expect(issues).toEqual([]);
    expect(policies.a).toEqual({
      maxUnavailable: 1,
      maxSurge: 0,
      partition: 0,
      paused: false,
    });
    expect(policies.b).toEqual({
      maxUnavailable: 0,
      maxSurge: 1,
      partition: 0,
      paused: false,
    });
  });

  it('reads JSON or YAML, "*" for every role, percentages rounded as Kubernetes rounds them', () => {
    const { policies, issues } = readRolloutPolicies(
      svc(
        '"*": {maxUnavailable: "25%"}\nb: {maxSurge: "10%", maxUnavailable: 0, paused: true, partition: 2}',
        [
          { name: 'a', replicas: 6 },
          { name: 'b', replicas: 6 },
        ],
      ),
    );
    expect(issues).toEqual([]);
    expect(policies.a).toMatchObject({ maxUnavailable: 1, maxSurge: 0 }); // 25 % of 6 = 1.5 → 1
    expect(policies.b).toEqual({
      maxUnavailable: 0,
      maxSurge: 1,
      partition: 2,
      paused: true,
    }); // 10 % of 6 → 1
  });

  it('refuses both amounts zero, unknown roles and settings, and bad values, naming the field', () => {
    const { issues } = readRolloutPolicies(
      svc(
        {
          a: { maxUnavailable: 0, maxSurge: 0 },
          ghost: {},
          '*': { maxSurge: -1, speed: 3, paused: 'yes' },
        },
        [{ name: 'a', replicas: 3 }],
      ),
    );
    const text = issues.map(i => `${i.path}: ${i.message}`).join('\n');
    expect(text).toMatch(/\.ghost: names no role of the service \(a\)/);
    expect(text).toMatch(/\.\*\.maxSurge: must be a whole number/);
    expect(text).toMatch(/\.\*\.speed: is not a rollout setting/);
    expect(text).toMatch(/\.\*\.paused: must be true or false/);
    expect(text).toMatch(
      /spec\.roles\[0\] \(a\).*maxUnavailable and maxSurge are both 0 for 3 replicas: the rollout could never move/,
    );
    expect(
      readRolloutPolicies(svc('[1, 2', [{ name: 'a' }])).issues[0].message,
    ).toMatch(/mapping|JSON or YAML/);
    expect(
      readRolloutPolicies(svc('x'.repeat(20000), [{ name: 'a' }])).issues[0]
        .message,
    ).toMatch(/at most 16384 bytes/);
    expect(() => readRolloutPolicies(null)).not.toThrow();
  });

  it('makes validation refuse a rollout that could never move, naming the annotation', () => {
    const isvc = {
      apiVersion: 'fusioninfer.io/v1alpha1',
      kind: 'InferenceService',
      metadata: {
        name: 'qwen',
        annotations: {
          [ROLLOUT_ANNOTATION]:
            '{"inference": {"maxUnavailable": 0, "maxSurge": 0}}',
        },
      },
      spec: {
        roles: [
          {
            name: 'inference',
            componentType: 'worker',
            replicas: 2,
            template: {
              spec: {
                containers: [
                  { name: 'vllm', image: 'vllm/vllm-openai:v0.27.1' },
                ],
              },
            },
          },
        ],
      },
    };
    const r = validateInferenceService(isvc);
    expect(r.valid).toBe(false);
    expect(r.errors.map(e => e.message).join()).toContain(
      'maxUnavailable and maxSurge are both 0',
    );
  });
});

/** A role's replicas over time: each tick applies the plan; a replica given a new spec is Ready `delay` ticks later. */
function simulate(
  input: Omit<RoleRolloutInput, 'live'>,
  start: ReplicaObservation[],
  delay = 1,
  maxTicks = 200,
) {
  let live = start.map(r => ({ ...r, readyIn: 0 }));
  const history: Array<{ ready: number; surge: number; phase: string }> = [];
  for (let t = 0; t < maxTicks; t++) {
    const step = planRoleRollout({
      ...input,
      live: live.map(({ readyIn: _r, ...r }) => r),
    });
    const readyNow = live.filter(r => r.ready).length;
    history.push({
      ready: readyNow,
      surge: live.filter(r => r.index >= input.replicas).length,
      phase: step.phase,
    });
    live = live.filter(r => !step.delete.includes(r.index));
    if (step.phase === 'complete') return { history, live };
    for (const i of step.update) {
      const r = live.find(x => x.index === i)!;
      Object.assign(r, { updated: true, ready: false, readyIn: delay });
    }
    for (const i of [...step.create, ...step.createSurge])
      live.push({ index: i, updated: true, ready: false, readyIn: delay });
    for (const r of live)
      if (!r.ready && r.updated && --r.readyIn <= 0) r.ready = true;
  }
  throw new Error(
    `no completion in ${maxTicks} ticks: ${JSON.stringify(history.slice(-3))}`,
  );
}

const allOld = (n: number) =>
  Array.from({ length: n }, (_, index) => ({
    index,
    updated: false,
    ready: true,
  }));

describe('planRoleRollout', () => {
  it('moves a 4-replica role one replica per wave, never with fewer than 3 Ready', () => {
    const { history } = simulate(
      {
        role: 'w',
        replicas: 4,
        policy: { maxUnavailable: 1, maxSurge: 0, partition: 0, paused: false },
        surgeFits: true,
      },
      allOld(4),
      2,
    );
    expect(Math.min(...history.map(h => h.ready))).toBe(3);
    expect(history.at(-1)!.phase).toBe('complete');
  });

  it('with surge: adds the new replica first, never more than maxSurge extra, never fewer than all Ready', () => {
    const { history, live } = simulate(
      {
        role: 'w',
        replicas: 1,
        policy: { maxUnavailable: 0, maxSurge: 1, partition: 0, paused: false },
        surgeFits: true,
      },
      allOld(1),
      3,
    );
    expect(Math.max(...history.map(h => h.surge))).toBe(1);
    // Once the surge replica is Ready the single replica goes down, covered by it.
    expect(Math.min(...history.map(h => h.ready))).toBeGreaterThanOrEqual(1);
    expect(live.map(r => r.index)).toEqual([0]); // the surge replica is gone at the end
  });

  it('goes without surge when there is no room, saying so, one replica down at a time', () => {
    const step = planRoleRollout({
      role: 'w',
      replicas: 2,
      policy: { maxUnavailable: 0, maxSurge: 1, partition: 0, paused: false },
      live: allOld(2),
      surgeFits: false,
      surgeBlockedBy: 'project llm-apps would hold 100 of 96 GPUs',
    });
    expect(step.createSurge).toEqual([]);
    expect(step.update).toEqual([1]);
    expect(step.surgeSkipped).toBe(
      'no room for a surge replica (project llm-apps would hold 100 of 96 GPUs): replacing one replica at a time instead',
    );
  });

  it('waits for the last wave to be Ready, moves replicas that are down anyway, honours partition and pause', () => {
    const policy = {
      maxUnavailable: 2,
      maxSurge: 0,
      partition: 0,
      paused: false,
    };
    const waiting = planRoleRollout({
      role: 'w',
      replicas: 4,
      policy,
      surgeFits: true,
      live: [
        { index: 0, updated: false, ready: false },
        { index: 1, updated: false, ready: true },
        { index: 2, updated: true, ready: true },
        { index: 3, updated: true, ready: false },
      ],
    });
    expect(waiting).toMatchObject({
      phase: 'waiting',
      update: [0],
      hold: [1],
      reason: 'waiting for replica 3 to be Ready',
    });
    const partitioned = planRoleRollout({
      role: 'w',
      replicas: 4,
      policy: { ...policy, partition: 2 },
      surgeFits: true,
      live: allOld(4),
    });
    expect(partitioned.update).toEqual([3, 2]);
    expect(partitioned.hold).toEqual([1, 0]);
    const paused = planRoleRollout({
      role: 'w',
      replicas: 4,
      policy: { ...policy, paused: true },
      surgeFits: true,
      live: allOld(4),
    });
    expect(paused).toMatchObject({
      phase: 'paused',
      update: [],
      hold: [3, 2, 1, 0],
    });
  });

  it('creates missing replicas and deletes old ones beyond the count while it rolls', () => {
    const step = planRoleRollout({
      role: 'w',
      replicas: 3,
      policy: { maxUnavailable: 1, maxSurge: 0, partition: 0, paused: false },
      surgeFits: true,
      live: [
        { index: 0, updated: false, ready: true },
        { index: 1, updated: false, ready: true },
        { index: 5, updated: false, ready: true },
      ],
    });
    expect(step.create).toEqual([2]);
    expect(step.delete).toEqual([5]);
  });

  it('keeps every invariant over random policies, sizes and readiness delays (1,000 rollouts)', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 1000; k++) {
      const n = 1 + rand(8);
      let maxUnavailable = rand(3);
      const maxSurge = rand(3);
      if (maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
      const surgeFits = rand(4) !== 0;
      const effectiveUnavailable =
        maxSurge > 0 && !surgeFits
          ? Math.max(1, maxUnavailable)
          : maxUnavailable;
      const { history } = simulate(
        {
          role: 'w',
          replicas: n,
          policy: { maxUnavailable, maxSurge, partition: 0, paused: false },
          surgeFits,
        },
        allOld(n),
        1 + rand(4),
      );
      for (const h of history) {
        expect(h.surge).toBeLessThanOrEqual(surgeFits ? maxSurge : 0);
        expect(h.ready).toBeGreaterThanOrEqual(
          Math.max(0, n - effectiveUnavailable),
        );
      }
    }
  });
});

describe('planRollout', () => {
  it('moves decode before prefill', () => {
    const p = { maxUnavailable: 1, maxSurge: 0, partition: 0, paused: false };
    const step = planRollout([
      {
        role: 'prefill',
        componentType: 'prefiller',
        replicas: 2,
        policy: p,
        surgeFits: true,
        live: allOld(2),
      },
      {
        role: 'decode',
        componentType: 'decoder',
        replicas: 2,
        policy: p,
        surgeFits: true,
        live: allOld(2),
      },
    ]);
    expect(step.roles[1].update).toEqual([1]);
    expect(step.roles[0]).toMatchObject({
      update: [],
      hold: [1, 0],
      phase: 'waiting',
      reason: expect.stringMatching(/decode replicas move first/),
    });
    const decodeDone = planRollout([
      {
        role: 'prefill',
        componentType: 'prefiller',
        replicas: 2,
        policy: p,
        surgeFits: true,
        live: allOld(2),
      },
      {
        role: 'decode',
        componentType: 'decoder',
        replicas: 2,
        policy: p,
        surgeFits: true,
        live: allOld(2).map(r => ({ ...r, updated: true })),
      },
    ]);
    expect(decodeDone.roles[0].update).toEqual([1]);
    expect(decodeDone.complete).toBe(false);
  });
});

describe('renderSurgeReplica', () => {
  const qwen = (nodeCount?: number) => ({
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'qwen', namespace: 'ml', uid: 'u1' },
    spec: {
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          replicas: 2,
          ...(nodeCount ? { multinode: { nodeCount } } : {}),
          template: {
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image: 'vllm/vllm-openai:v0.27.1',
                  resources: { limits: { 'nvidia.com/gpu': '4' } },
                },
              ],
            },
          },
        },
      ],
    },
  });

  it('renders a labelled surge LWS at the given index with, for a gang role, a PodGroup of its own', () => {
    const [pg, lws] = renderSurgeReplica(qwen(2), 'inference', 2) as any[];
    expect(pg).toMatchObject({
      kind: 'PodGroup',
      metadata: {
        name: 'qwen-inference-2-surge',
        labels: { 'fusioninfer.io/surge': 'true' },
      },
      spec: {
        minMember: 2,
        minTaskMember: { 'inference-2': 2 },
        minResources: { 'nvidia.com/gpu': '8' },
      },
    });
    expect(lws).toMatchObject({
      kind: 'LeaderWorkerSet',
      metadata: {
        name: 'qwen-inference-2',
        labels: {
          'fusioninfer.io/surge': 'true',
          'fusioninfer.io/replica-index': '2',
        },
        ownerReferences: [expect.objectContaining({ uid: 'u1' })],
      },
    });
    expect(
      lws.spec.leaderWorkerTemplate.workerTemplate.metadata.annotations[
        'scheduling.k8s.io/group-name'
      ],
    ).toBe('qwen-inference-2-surge');
  });

  it('renders no PodGroup for a role that is not gang-scheduled, and nothing for an unknown role', () => {
    const kids = renderSurgeReplica(qwen(), 'inference', 2);
    expect(kids.map(k => k.kind)).toEqual(['LeaderWorkerSet']);
    expect(renderSurgeReplica(qwen(), 'ghost', 2)).toEqual([]);
  });
});

describe('the revision label on the pods', () => {
  /** The opt-in annotation: "true" by default, null for none, else the value given. */
  const labelAnnotation = (labelled: string | null = 'true') =>
    labelled === null ? {} : { [REVISION_LABEL_ANNOTATION]: labelled };
  const role = (
    name: string,
    componentType: string,
    image: string,
    replicas = 2,
  ) => ({
    name,
    componentType,
    replicas,
    template: { spec: { containers: [{ name: 'vllm', image }] } },
  });
  const pd = (
    prefillImage: string,
    decodeImage: string,
    opts: { labelled?: string | null; replicas?: number } = {},
  ) => ({
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name: 'pd',
      namespace: 'ml',
      annotations: {
        [ROLLOUT_ANNOTATION]: '{"*": {"maxUnavailable": 1}}',
        ...labelAnnotation(opts.labelled),
      },
    },
    spec: {
      roles: [
        {
          name: 'router',
          componentType: 'router',
          strategy: 'pd-disaggregation',
        },
        role('prefill', 'prefiller', prefillImage, opts.replicas),
        role('decode', 'decoder', decodeImage, opts.replicas),
        role('chat', 'worker', 'vllm/vllm-openai:v0.27.1'),
      ],
    },
  });
  /** The revision label of each replica's pods, by LWS name; undefined when absent. */
  const revisions = (isvc: unknown) =>
    Object.fromEntries(
      renderInferenceService(isvc)
        .children.filter((c: any) => c.kind === 'LeaderWorkerSet')
        .map((l: any) => [
          l.metadata.name,
          l.spec.leaderWorkerTemplate.workerTemplate.metadata.labels[
            REVISION_LABEL
          ],
        ]),
    );
  /** LWS names whose own label differs from their pods' (the LWS carries its pods' labels). */
  const mismatched = (isvc: unknown) =>
    renderInferenceService(isvc)
      .children.filter((c: any) => c.kind === 'LeaderWorkerSet')
      .filter(
        (l: any) =>
          l.metadata.labels[REVISION_LABEL] !==
          l.spec.leaderWorkerTemplate.workerTemplate.metadata.labels[
            REVISION_LABEL
          ],
      )
      .map((l: any) => l.metadata.name);

  it('is absent unless the service opts in (the upstream render), a rollout policy or not', () => {
    for (const labelled of [null, 'false'])
      expect(
        Object.values(revisions(pd('a:1', 'a:1', { labelled }))).filter(
          r => r !== undefined,
        ),
      ).toEqual([]);
    // Pause writes the rollout annotation: it must not relabel (so restart) every pod
    const paused = withRolloutPaused(
      pd('a:1', 'a:1', { labelled: null }),
      'decode',
      true,
    ) as { annotation: string };
    expect(JSON.parse(paused.annotation).decode.paused).toBe(true);
    const pausedService = {
      ...pd('a:1', 'a:1', { labelled: null }),
      metadata: {
        name: 'pd',
        namespace: 'ml',
        annotations: { [ROLLOUT_ANNOTATION]: paused.annotation },
      },
    };
    expect(
      Object.values(revisions(pausedService)).filter(r => r !== undefined),
    ).toEqual([]);
  });

  it('refuses an opt-in other than "true" or "false", naming the annotation', () => {
    expect(
      validateInferenceService(pd('a:1', 'a:1', { labelled: 'yes' })).errors,
    ).toEqual([
      expect.objectContaining({
        path: 'metadata.annotations["fusioninfer.io/revision-label"]',
        message: 'Unsupported value: "yes": supported values: "true", "false"',
      }),
    ]);
  });

  it('is one per P/D pair, moves with either role, not with the replicas; other roles have their own', () => {
    expect(mismatched(pd('img:1', 'img:1'))).toEqual([]);
    const v1 = revisions(pd('img:1', 'img:1'));
    expect(
      new Set([
        v1['pd-prefill-0'],
        v1['pd-prefill-1'],
        v1['pd-decode-0'],
        v1['pd-decode-1'],
      ]).size,
    ).toBe(1);
    expect(v1['pd-chat-0']).toBe(v1['pd-chat-1']);
    expect(v1['pd-chat-0']).not.toBe(v1['pd-decode-0']);
    // a new prefill image is a new revision of the pair: decode pods carry it too, the worker role keeps its own
    const v2 = revisions(pd('img:2', 'img:1'));
    expect(v2['pd-decode-0']).not.toBe(v1['pd-decode-0']);
    expect(v2['pd-prefill-0']).toBe(v2['pd-decode-0']);
    expect(v2['pd-chat-0']).toBe(v1['pd-chat-0']);
    // scaling is no new revision
    expect(
      revisions(pd('img:1', 'img:1', { replicas: 3 }))['pd-decode-0'],
    ).toBe(v1['pd-decode-0']);
    // a surge replica runs the new revision
    const [surge] = renderSurgeReplica(
      pd('img:2', 'img:1'),
      'decode',
      2,
    ).filter((c: any) => c.kind === 'LeaderWorkerSet') as any[];
    expect(
      surge.spec.leaderWorkerTemplate.workerTemplate.metadata.labels[
        REVISION_LABEL
      ],
    ).toBe(v2['pd-decode-0']);
  });

  it('passes validation and is a valid label value', () => {
    const isvc = pd('img:1', 'img:1');
    expect(validateInferenceService(isvc).errors).toEqual([]);
    for (const r of Object.values(revisions(isvc)))
      expect(r).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
  });
});

describe('withRolloutPaused (Pause / Resume)', () => {
  const pd = (annotation?: string) => ({
    metadata: annotation
      ? { annotations: { [ROLLOUT_ANNOTATION]: annotation } }
      : {},
    spec: {
      roles: [
        { name: 'decode', componentType: 'decoder', replicas: 4 },
        { name: 'prefill', componentType: 'prefiller', replicas: 2 },
      ],
    },
  });

  it('sets paused for one role and keeps the rest of the annotation as written', () => {
    const out = withRolloutPaused(
      pd('"*": {maxUnavailable: 2}\nprefill: {maxSurge: 1}\n'),
      'decode',
      true,
    );
    expect(out).toEqual({
      annotation: JSON.stringify({
        '*': { maxUnavailable: 2 },
        prefill: { maxSurge: 1 },
        decode: { paused: true },
      }),
    });
    const resumed = withRolloutPaused(
      pd((out as { annotation: string }).annotation),
      'decode',
      false,
    ) as { annotation: string };
    expect(readRolloutPolicies(pd(resumed.annotation)).policies.decode).toEqual(
      { maxUnavailable: 2, maxSurge: 0, partition: 0, paused: false },
    );
  });

  it('starts an annotation where there is none, and refuses a bad one or an unknown role', () => {
    expect(withRolloutPaused(pd(), 'prefill', true)).toEqual({
      annotation: '{"prefill":{"paused":true}}',
    });
    expect(
      withRolloutPaused(pd('decode: {maxSurge: -1}'), 'decode', true),
    ).toEqual({
      error: expect.stringMatching(/fix them first.*maxSurge/),
    });
    expect(withRolloutPaused(pd(), 'router', true)).toEqual({
      error: '"router" is not a role of this service',
    });
  });
});
