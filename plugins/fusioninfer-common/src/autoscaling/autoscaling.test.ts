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

import { clusterSnapshotOf } from '../preflight/preflight';
import { validateInferenceService } from '../validate';
import {
  autoscalingSignalValue,
  AutoscalingContext,
  AutoscalingSamples,
  AutoscalingState,
  decide,
  recordAutoscalingChange,
} from './decide';
import { AUTOSCALING_ANNOTATION, readAutoscalingPolicies } from './policy';

type RoleSpec = {
  name: string;
  componentType?: string;
  replicas?: number;
  gpus?: number;
  gang?: boolean;
};

const role = ({
  name,
  componentType = 'worker',
  replicas = 1,
  gpus = 1,
}: RoleSpec) => ({
  name,
  componentType,
  replicas,
  template: {
    spec: {
      containers: [
        {
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.13.0',
          args: ['--model', 'Qwen/Qwen3-8B'],
          resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
        },
      ],
    },
  },
});

const svc = (annotation: unknown, roles: RoleSpec[]) => ({
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: {
    name: 's',
    ...(annotation === undefined
      ? {}
      : {
          annotations: {
            [AUTOSCALING_ANNOTATION]:
              typeof annotation === 'string'
                ? annotation
                : JSON.stringify(annotation),
          },
        }),
  },
  spec: { roles: roles.map(role) },
});

const POLICY = {
  minReplicas: 1,
  maxReplicas: 8,
  signal: 'waitingRequests',
  target: 2,
  mode: 'acting',
};

/** A sample of `replicas` reporting replicas with `waiting` requests waiting in all. */
const waiting = (n: number, replicas = 1, extra: object = {}) => ({
  reporting: replicas,
  waiting: n,
  running: n > 0 ? replicas : 0,
  requestRate: n > 0 ? 1 : 0,
  ...extra,
});

describe('readAutoscalingPolicies', () => {
  it('no annotation: nothing autoscales; defaults fill what a policy leaves out', () => {
    expect(readAutoscalingPolicies(svc(undefined, [{ name: 'a' }]))).toEqual({
      policies: {},
      issues: [],
      warnings: [],
      annotated: false,
    });
    const { policies, issues } = readAutoscalingPolicies(
      svc({ a: { maxReplicas: 4, signal: 'kvCacheUsage', target: 0.7 } }, [
        { name: 'a' },
        { name: 'b' },
      ]),
    );
    expect(issues).toEqual([]);
    expect(policies).toEqual({
      a: {
        minReplicas: 1,
        maxReplicas: 4,
        signal: 'kvCacheUsage',
        target: 0.7,
        mode: 'advisory',
        tolerance: 0.1,
        scaleDownStabilizationSeconds: 300,
        cooldownSeconds: 60,
      },
    });
  });

  it('reads YAML, "*" for every workload role (never the router), own settings over "*", and a P/D ratio', () => {
    const { policies, pdRatio, issues } = readAutoscalingPolicies(
      svc(
        [
          '"*": {maxReplicas: 6, signal: waitingRequests, target: 3, mode: acting, scaleToZeroAfterIdleMinutes: 30}',
          'decode: {signal: kvCacheUsage, target: 0.8}',
          'pdRatio: "1:2"',
        ].join('\n'),
        [
          { name: 'router', componentType: 'router' },
          { name: 'prefill', componentType: 'prefiller' },
          { name: 'decode', componentType: 'decoder', replicas: 2 },
        ],
      ),
    );
    expect(issues).toEqual([]);
    expect(Object.keys(policies)).toEqual(['prefill', 'decode']);
    expect(policies.prefill).toMatchObject({
      signal: 'waitingRequests',
      target: 3,
      maxReplicas: 6,
      mode: 'acting',
      scaleToZeroAfterIdleMinutes: 30,
    });
    expect(policies.decode).toMatchObject({
      signal: 'kvCacheUsage',
      target: 0.8,
      maxReplicas: 6,
    });
    expect(pdRatio).toEqual({
      prefill: 'prefill',
      decode: 'decode',
      prefillPart: 1,
      decodePart: 2,
    });
  });

  it.each([
    [
      'not YAML',
      '{a: [',
      'metadata.annotations["fusioninfer.io/autoscaling"]',
      'mapping',
    ],
    [
      'a list',
      '[1, 2]',
      'metadata.annotations["fusioninfer.io/autoscaling"]',
      'mapping',
    ],
    [
      'an unknown role',
      { b: POLICY },
      '.b',
      'names no role of the service (r, a)',
    ],
    ['the router', { r: POLICY }, '.r', 'is the router role'],
    [
      'an unknown setting',
      { a: { ...POLICY, maxReplica: 3 } },
      '.a.maxReplica',
      'is not an autoscaling setting',
    ],
    [
      'min 0',
      { a: { ...POLICY, minReplicas: 0 } },
      '.a.minReplicas',
      'scale to zero is scaleToZeroAfterIdleMinutes',
    ],
    [
      'max below min',
      { a: { ...POLICY, minReplicas: 4, maxReplicas: 2 } },
      '.a.maxReplicas',
      'must be at least minReplicas (4)',
    ],
    [
      'max above the limit',
      { a: { ...POLICY, maxReplicas: 20000 } },
      '.a.maxReplicas',
      'from 1 to 10000',
    ],
    [
      'an unknown signal',
      { a: { ...POLICY, signal: 'cpu' } },
      '.a.signal',
      'waitingRequests, kvCacheUsage, prefillBacklogSeconds',
    ],
    [
      'a KV target above 1',
      { a: { ...POLICY, signal: 'kvCacheUsage', target: 70 } },
      '.a.target',
      'must be at most 1',
    ],
    ['target 0', { a: { ...POLICY, target: 0 } }, '.a.target', 'above 0'],
    [
      'a bad mode',
      { a: { ...POLICY, mode: 'auto' } },
      '.a.mode',
      'advisory or acting',
    ],
    [
      'tolerance 1',
      { a: { ...POLICY, tolerance: 1 } },
      '.a.tolerance',
      'below 1',
    ],
    [
      'a negative window',
      { a: { ...POLICY, scaleDownStabilizationSeconds: -1 } },
      '.a.scaleDownStabilizationSeconds',
      'seconds',
    ],
    [
      'a fractional cooldown',
      { a: { ...POLICY, cooldownSeconds: 1.5 } },
      '.a.cooldownSeconds',
      'seconds',
    ],
    [
      'idle 0 minutes',
      { a: { ...POLICY, scaleToZeroAfterIdleMinutes: 0 } },
      '.a.scaleToZeroAfterIdleMinutes',
      'minutes',
    ],
    [
      'no maximum',
      { a: { signal: 'kvCacheUsage', target: 0.5 } },
      '.a.maxReplicas',
      'Required value',
    ],
    [
      'no signal in "*"',
      { '*': { maxReplicas: 2, target: 1 } },
      '.*.signal',
      'Required value',
    ],
    [
      'a ratio without P/D roles',
      { a: POLICY, pdRatio: '1:2' },
      '.pdRatio',
      'one prefiller and one decoder',
    ],
    [
      'a malformed ratio',
      { a: POLICY, pdRatio: '1/2' },
      '.pdRatio',
      '"<prefill>:<decode>"',
    ],
  ])('refuses %s naming the field', (_what, annotation, path, message) => {
    const isvc = svc(annotation, [
      { name: 'r', componentType: 'router' },
      { name: 'a' },
    ]);
    const { issues } = readAutoscalingPolicies(isvc);
    expect(issues).toContainEqual({
      path: expect.stringContaining(path),
      message: expect.stringContaining(message),
    });
    // validateInferenceService refuses it with the same path.
    const v = validateInferenceService(isvc);
    expect(v.valid).toBe(false);
    expect(v.errors.map(e => e.path)).toContainEqual(
      expect.stringContaining(path),
    );
  });

  it('refuses P/D ratios whose roles disagree on mode or scale to zero alone', () => {
    const roles = [
      { name: 'p', componentType: 'prefiller' },
      { name: 'd', componentType: 'decoder' },
    ];
    expect(
      readAutoscalingPolicies(
        svc(
          { p: POLICY, d: { ...POLICY, mode: 'advisory' }, pdRatio: '1:1' },
          roles,
        ),
      ).issues[0].message,
    ).toMatch(/same mode/);
    expect(
      readAutoscalingPolicies(
        svc(
          {
            p: { ...POLICY, scaleToZeroAfterIdleMinutes: 5 },
            d: POLICY,
            pdRatio: '1:1',
          },
          roles,
        ),
      ).issues[0].message,
    ).toMatch(/scale to zero together/);
    expect(
      readAutoscalingPolicies(svc({ p: POLICY, pdRatio: '1:1' }, roles))
        .issues[0].message,
    ).toMatch(/needs a policy for both p and d/);
  });

  it('warns (validation warnings, not errors) about replicas outside the bounds', () => {
    const isvc = svc({ a: { ...POLICY, minReplicas: 2, maxReplicas: 3 } }, [
      { name: 'a', replicas: 5 },
    ]);
    expect(readAutoscalingPolicies(isvc).warnings).toEqual([
      {
        path: 'spec.roles[0].replicas',
        message:
          '5 is above the autoscaling maximum 3 of role a: the autoscaler lowers it',
      },
    ]);
    const v = validateInferenceService(isvc);
    expect(v.valid).toBe(true);
    expect(v.warnings.map(w => w.message)).toContainEqual(
      expect.stringContaining('above the autoscaling maximum 3'),
    );
  });
});

describe('autoscalingSignalValue', () => {
  it('waiting per reporting replica, KV use as reported, nothing without a reporting replica', () => {
    expect(autoscalingSignalValue('waitingRequests', waiting(6, 3))).toBe(2);
    expect(
      autoscalingSignalValue('kvCacheUsage', {
        reporting: 2,
        kvCacheUsage: 0.61234,
      }),
    ).toBe(0.6123);
    expect(autoscalingSignalValue('waitingRequests', { reporting: 0 })).toBe(
      undefined,
    );
    expect(autoscalingSignalValue('kvCacheUsage', { reporting: 1 })).toBe(
      undefined,
    );
  });

  it('prefill backlog: prompt tokens waiting ÷ measured prompt tokens per second', () => {
    // 10 waiting × (4,000 tok/s ÷ 2 req/s = 2,000 tokens each) = 20,000 tokens ÷ 4,000 tok/s = 5 s.
    expect(
      autoscalingSignalValue('prefillBacklogSeconds', {
        reporting: 2,
        waiting: 10,
        promptTokensPerSecond: 4000,
        requestRate: 2,
      }),
    ).toBe(5);
    expect(
      autoscalingSignalValue('prefillBacklogSeconds', {
        reporting: 1,
        waiting: 0,
      }),
    ).toBe(0);
    // Requests wait but no throughput was measured: no signal rather than a guess.
    expect(
      autoscalingSignalValue('prefillBacklogSeconds', {
        reporting: 1,
        waiting: 3,
        promptTokensPerSecond: 0,
        requestRate: 0,
      }),
    ).toBe(undefined);
  });
});

describe('decide', () => {
  const T0 = Date.UTC(2026, 11, 1);
  const one = (
    policy: object,
    replicas: number,
    samples: AutoscalingSamples,
    state: AutoscalingState = {},
    now = T0,
    context: Partial<AutoscalingContext> = {},
    roles: RoleSpec[] = [{ name: 'a', replicas }],
  ) => {
    const service = svc(policy, roles);
    return decide(samples, state, undefined, now, { service, ...context });
  };

  it('HPA: ceil(current × value / target), nothing within the tolerance, bounded by min and max', () => {
    // 2 replicas, 9 waiting → 4.5 per replica against 2: ceil(2 × 2.25) = 5.
    const up = one({ a: POLICY }, 2, { a: waiting(9, 2) });
    expect(up.roles[0]).toMatchObject({
      value: 4.5,
      desired: 5,
      recommendation: 5,
      next: 5,
      blockedBy: [],
    });
    expect(up.changes).toEqual([{ role: 'a', from: 2, to: 5, mode: 'acting' }]);
    // 2.15 per replica is within 10 % of 2: no change.
    expect(
      one({ a: POLICY }, 4, { a: waiting(8.6, 4) }).roles[0],
    ).toMatchObject({
      desired: 4,
      next: 4,
    });
    // 40 per replica: 40 wanted, 8 allowed.
    const capped = one({ a: POLICY }, 2, { a: waiting(80, 2) }).roles[0];
    expect(capped).toMatchObject({ desired: 40, recommendation: 8, next: 8 });
    expect(capped.blockedBy).toEqual([
      {
        reason: 'max',
        message: 'the signal asks for 40 replicas; the maximum is 8',
      },
    ]);
    // Nothing waiting on 3 replicas: down to min 1, but only after the window (no history yet: at once).
    expect(one({ a: POLICY }, 3, { a: waiting(0, 3) }).roles[0]).toMatchObject({
      desired: 0,
      recommendation: 1,
      next: 1,
    });
  });

  it('counts replicas that do not report as idle for a scale-up and as on target for a scale-down', () => {
    // 4 replicas, 2 of them report 16 waiting (8 per replica against 2): the other two count as idle, so
    // (16 + 0) / 4 = 4 per replica → ceil(4 × 4 / 2) = 8, not ceil(4 × 8 / 2) = 16.
    expect(
      one({ a: POLICY }, 4, { a: { reporting: 2, waiting: 16 } }).roles[0]
        .desired,
    ).toBe(8);
    // 4 replicas, 2 report nothing waiting: the other two count as on target → (0 + 2 × 2) / 4 = 1 → ceil(4/2) = 2.
    expect(
      one({ a: POLICY }, 4, { a: { reporting: 2, waiting: 0 } }).roles[0]
        .desired,
    ).toBe(2);
  });

  it('says in one sentence what it decided, and that an advisory decision writes nothing', () => {
    expect(one({ a: POLICY }, 2, { a: waiting(9, 2) }).roles[0].summary).toBe(
      'requests waiting per replica 4.5 against a target of 2: 2 → 5 replicas',
    );
    expect(
      one({ a: { ...POLICY, mode: 'advisory' } }, 2, { a: waiting(9, 2) })
        .roles[0].summary,
    ).toBe(
      'requests waiting per replica 4.5 against a target of 2: would scale 2 → 5 replicas (advisory: nothing is written)',
    );
    expect(one({ a: POLICY }, 2, { a: waiting(4, 2) }).roles[0].summary).toBe(
      'requests waiting per replica 2 against a target of 2: keeps 2 replicas',
    );
  });

  it('no signal: replicas unchanged, said', () => {
    const r = one({ a: POLICY }, 3, {}).roles[0];
    expect(r).toMatchObject({ next: 3, recommendation: 3 });
    expect(r.blockedBy[0].reason).toBe('no-signal');
  });

  it('scales up at once, down to the highest recommendation of the stabilisation window', () => {
    const p = { a: { ...POLICY, cooldownSeconds: 0 } };
    let state: AutoscalingState = {};
    let replicas = 2;
    const step = (n: number, at: number) => {
      const d = one(
        p,
        replicas,
        { a: waiting(n, replicas) },
        state,
        T0 + at * 1000,
      );
      state = d.state;
      for (const c of d.changes) {
        state = recordAutoscalingChange(state, c.role, {
          ...c,
          at: T0 + at * 1000,
        });
        replicas = c.to;
      }
      return d.roles[0];
    };
    expect(step(16, 0).next).toBe(8); // 8 per replica → 8
    expect(step(8, 60)).toMatchObject({ recommendation: 8, next: 8 }); // 1 per replica → 4, held by the window
    expect(step(8, 120).blockedBy.map(b => b.reason)).toEqual([
      'stabilization',
    ]);
    expect(step(8, 299).next).toBe(8);
    // 301 s after the last recommendation of 8: down to the highest of the window (4).
    expect(step(8, 301)).toMatchObject({ next: 4 });
    expect(replicas).toBe(4);
  });

  it('cooldown between changes, and a reversal waits for the stabilisation window', () => {
    const p = {
      a: { ...POLICY, cooldownSeconds: 60, scaleDownStabilizationSeconds: 120 },
    };
    const state = recordAutoscalingChange({}, 'a', { from: 4, to: 2, at: T0 });
    // Scaled down 30 s ago; the load is back: a reversal waits 120 s.
    const early = one(p, 2, { a: waiting(16, 2) }, state, T0 + 30_000).roles[0];
    expect(early).toMatchObject({ recommendation: 8, next: 2 });
    expect(early.blockedBy).toEqual([
      {
        reason: 'cooldown',
        message:
          '4 → 2 replicas 30 s ago; a reversal waits 2 min (the stabilisation window), 90 s to go',
      },
    ]);
    expect(
      one(p, 2, { a: waiting(16, 2) }, state, T0 + 121_000).roles[0].next,
    ).toBe(8);
    // The same direction only waits for the cooldown.
    const up = recordAutoscalingChange({}, 'a', { from: 1, to: 2, at: T0 });
    expect(
      one(p, 2, { a: waiting(16, 2) }, up, T0 + 30_000).roles[0].blockedBy[0]
        .message,
    ).toMatch(/the cooldown is 60 s, 30 s to go/);
    expect(
      one(p, 2, { a: waiting(16, 2) }, up, T0 + 61_000).roles[0].next,
    ).toBe(8);
  });

  it('a change somebody else made starts the cooldown too', () => {
    const first = one({ a: POLICY }, 2, { a: waiting(4, 2) });
    // Somebody scaled to 5 since; the next decision sees it and waits.
    const next = one(
      { a: POLICY },
      5,
      { a: waiting(0, 5) },
      first.state,
      T0 + 15_000,
    ).roles[0];
    expect(next.next).toBe(5);
    expect(next.blockedBy.map(b => b.reason)).toContain('cooldown');
  });

  it("caps scale-ups by the project's GPU quota (never scale-downs)", () => {
    // 2 GPUs per replica, 5 GPUs left: 2 more replicas.
    const r = one(
      { a: POLICY },
      2,
      { a: waiting(16, 2) },
      {},
      T0,
      { quotaGpusLeft: 5 },
      [{ name: 'a', replicas: 2, gpus: 2 }],
    ).roles[0];
    expect(r).toMatchObject({ recommendation: 8, next: 4 });
    expect(r.blockedBy).toEqual([
      {
        reason: 'quota',
        message:
          "the project's GPU quota leaves 5 GPUs: 8 replicas (2 GPUs each) would exceed it; 4 fit",
      },
    ]);
    // Over quota already: no scale-up, but a scale-down still happens.
    expect(
      one({ a: POLICY }, 2, { a: waiting(16, 2) }, {}, T0, {
        quotaGpusLeft: -3,
      }).roles[0].next,
    ).toBe(2);
    expect(
      one({ a: POLICY }, 4, { a: waiting(0, 4) }, {}, T0, { quotaGpusLeft: -3 })
        .roles[0].next,
    ).toBe(1);
  });

  it('caps scale-ups to what the gang can place (common pre-flight on the cluster snapshot)', () => {
    // Two nodes of 8 GPUs; the service's 2 replicas of 4 GPUs are its own (counted free): 4 replicas fit, 8 do not.
    const nodes = ['n1', 'n2'].map(name => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: {
        allocatable: {
          'nvidia.com/gpu': '8',
          cpu: '64',
          memory: '512Gi',
          pods: '110',
        },
      },
    }));
    const snapshot = clusterSnapshotOf(nodes, []);
    const r = one(
      { a: POLICY },
      2,
      { a: waiting(16, 2) },
      {},
      T0,
      { snapshot },
      [{ name: 'a', replicas: 2, gpus: 4 }],
    ).roles[0];
    expect(r).toMatchObject({ recommendation: 8, next: 4 });
    expect(r.blockedBy[0].reason).toBe('gang-cannot-fit');
    expect(r.blockedBy[0].message).toMatch(
      /^8 replicas do not fit the cluster now: .*4 fit$/,
    );
  });

  it('holds every change while an approval request of the autoscaler is pending', () => {
    const r = one({ a: POLICY }, 2, { a: waiting(16, 2) }, {}, T0, {
      approvalPending: 'b5d6…',
    }).roles[0];
    expect(r).toMatchObject({ recommendation: 8, next: 2 });
    expect(r.blockedBy.map(b => b.reason)).toEqual(['approval-pending']);
  });

  it('keeps prefill:decode within ±1 replica by raising the role that lags; the pair moves together', () => {
    const roles = [
      { name: 'p', componentType: 'prefiller', replicas: 1 },
      { name: 'd', componentType: 'decoder', replicas: 2 },
    ];
    const policy = {
      p: { ...POLICY, maxReplicas: 10 },
      d: { ...POLICY, maxReplicas: 20 },
      pdRatio: '1:2',
    };
    // Decode wants 8 (8 per replica on 2), prefill is idle (1): prefill is raised to ceil(8 × 1/2 − 1) = 3.
    const d = one(
      policy,
      0,
      { p: waiting(0, 1), d: waiting(16, 2) },
      {},
      T0,
      {},
      roles,
    );
    const by = Object.fromEntries(d.roles.map(r => [r.role, r]));
    expect(by.d.next).toBe(8);
    expect(by.p.next).toBe(3);
    expect(Math.abs(by.p.next - by.d.next / 2)).toBeLessThanOrEqual(1);
    // Prefill wants 10, decode idle at 2: decode is raised to ceil((10 − 1) × 2) = 18.
    const e = one(
      policy,
      0,
      { p: waiting(10, 1), d: waiting(0, 2) },
      {},
      T0,
      {},
      roles,
    );
    const byE = Object.fromEntries(e.roles.map(r => [r.role, r]));
    expect(byE.p.next).toBe(5);
    expect(byE.d.next).toBe(8);
    // When one is cooling down, the other waits as well.
    const cooling = recordAutoscalingChange({}, 'd', {
      from: 1,
      to: 2,
      at: T0,
    });
    const f = one(
      policy,
      0,
      { p: waiting(10, 1), d: waiting(16, 2) },
      cooling,
      T0 + 10_000,
      {},
      roles,
    );
    expect(f.changes).toEqual([]);
  });

  it('scales to zero after the idle period, both roles of a P/D pair together, and says it cannot come back alone', () => {
    const policy = { a: { ...POLICY, scaleToZeroAfterIdleMinutes: 10 } };
    let state: AutoscalingState = {};
    let last;
    for (let m = 0; m <= 10; m++) {
      last = one(policy, 1, { a: waiting(0, 1) }, state, T0 + m * 60_000);
      state = last.state;
    }
    expect(last!.roles[0]).toMatchObject({ recommendation: 0, next: 0 });
    expect(last!.roles[0].summary).toBe('idle for 10 minutes: 1 → 0 replicas');
    // A request in between restarts the idle clock.
    const busy = one(policy, 1, { a: waiting(1, 1) }, state, T0 + 11 * 60_000);
    expect(busy.state.a.idleSince).toBeUndefined();
    // At zero nothing measures demand: it stays there, and says why.
    const zero = one(policy, 0, {}, {}, T0, {}, [{ name: 'a', replicas: 0 }])
      .roles[0];
    expect(zero.next).toBe(0);
    expect(zero.blockedBy[0]).toMatchObject({ reason: 'at-zero' });
    expect(zero.blockedBy[0].message).toMatch(
      /gateway that holds the first request/,
    );

    // P/D: the decoder is idle for long, the prefiller was busy a minute ago: neither goes to zero.
    const roles = [
      { name: 'p', componentType: 'prefiller', replicas: 1 },
      { name: 'd', componentType: 'decoder', replicas: 2 },
    ];
    const pd = {
      p: { ...POLICY, scaleToZeroAfterIdleMinutes: 10 },
      d: { ...POLICY, scaleToZeroAfterIdleMinutes: 10 },
      pdRatio: '1:2',
    };
    const idle: AutoscalingState = {
      p: { recommendations: [], replicas: 1, idleSince: T0 - 60_000 },
      d: { recommendations: [], replicas: 2, idleSince: T0 - 3_600_000 },
    };
    const both = one(
      pd,
      0,
      { p: waiting(0, 1), d: waiting(0, 2) },
      idle,
      T0,
      {},
      roles,
    );
    expect(both.changes.filter(c => c.to === 0)).toEqual([]);
    idle.p.idleSince = T0 - 3_600_000;
    const together = one(
      pd,
      0,
      { p: waiting(0, 1), d: waiting(0, 2) },
      idle,
      T0,
      {},
      roles,
    );
    expect(together.changes.map(c => [c.role, c.to])).toEqual([
      ['p', 0],
      ['d', 0],
    ]);
  });

  it('decides nothing while the annotation has problems', () => {
    const d = one({ a: { ...POLICY, target: -1 } }, 2, { a: waiting(16, 2) });
    expect(d.roles).toEqual([]);
    expect(d.issues[0].path).toMatch(/\.a\.target$/);
  });

  it('a square wave gives at most one direction change per 5 minutes (acting, decisions every 15 s)', () => {
    const followed: Array<{ periodMinutes: number; reversals: number }> = [];
    for (const periodMinutes of [1, 4, 9, 10, 12, 20, 45]) {
      let replicas = 2;
      let state: AutoscalingState = {};
      const changes: Array<{ at: number; up: boolean }> = [];
      for (let t = 0; t <= 4 * 3600; t += 15) {
        const high = Math.floor(t / ((periodMinutes * 60) / 2)) % 2 === 0;
        const d = one(
          { a: POLICY },
          replicas,
          {
            a: waiting(high ? 6 * replicas : 0, replicas),
          },
          state,
          T0 + t * 1000,
        );
        state = d.state;
        for (const c of d.changes) {
          state = recordAutoscalingChange(state, c.role, {
            ...c,
            at: T0 + t * 1000,
          });
          changes.push({ at: t, up: c.to > c.from });
          replicas = c.to;
        }
      }
      const reversals = changes.filter(
        (c, i) => i > 0 && c.up !== changes[i - 1].up,
      );
      const gaps = reversals.slice(1).map((r, i) => r.at - reversals[i].at);
      expect({ periodMinutes, tooClose: gaps.filter(g => g < 300) }).toEqual({
        periodMinutes,
        tooClose: [],
      });
      followed.push({ periodMinutes, reversals: reversals.length });
    }
    // Not vacuous: slow waves (high and low for longer than the window) are followed, many times in 4 hours.
    expect(
      followed.filter(f => f.periodMinutes >= 20 && f.reversals <= 4),
    ).toEqual([]);
  });

  it('never recommends beyond max or scales up beyond the quota (2,000 random decisions, acting)', () => {
    // A seeded generator: the run is the same every time.
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const int = (lo: number, hi: number) =>
      lo + Math.floor(rnd() * (hi - lo + 1));
    let decisions = 0;
    let quotaCaps = 0;
    let scaleUps = 0;
    const beyondQuota: object[] = [];
    for (let run = 0; run < 100; run++) {
      const gpus = int(1, 4);
      const minReplicas = int(1, 3);
      const maxReplicas = minReplicas + int(0, 12);
      const signal = (
        ['waitingRequests', 'kvCacheUsage', 'prefillBacklogSeconds'] as const
      )[int(0, 2)];
      const policy = {
        a: {
          minReplicas,
          maxReplicas,
          signal,
          target:
            signal === 'kvCacheUsage' ? 0.1 + rnd() * 0.8 : 0.5 + rnd() * 5,
          mode: 'acting',
          cooldownSeconds: int(0, 120),
          scaleDownStabilizationSeconds: int(0, 600),
        },
      };
      const quota = int(0, 40);
      const others = int(0, 30); // GPUs of the project's other services
      let replicas = int(1, maxReplicas + 3);
      let state: AutoscalingState = {};
      for (let step = 0; step < 20; step++) {
        const used = others + replicas * gpus;
        const quotaGpusLeft = quota - used;
        const d = one(
          policy,
          replicas,
          {
            a: {
              reporting: int(0, replicas),
              waiting: int(0, 50),
              running: int(0, 10),
              kvCacheUsage: rnd(),
              promptTokensPerSecond: rnd() * 5000,
              requestRate: rnd() * 10,
            },
          },
          state,
          T0 + step * 15_000,
          { quotaGpusLeft },
          [{ name: 'a', replicas, gpus }],
        );
        decisions++;
        const r = d.roles[0];
        expect(r.recommendation).toBeLessThanOrEqual(maxReplicas);
        expect(r.next).toBeLessThanOrEqual(maxReplicas);
        // Growth only within the quota: the project never holds more than its quota through a scale-up.
        if (r.next > replicas) {
          scaleUps++;
          if (others + r.next * gpus > quota)
            beyondQuota.push({ run, step, next: r.next, quota });
        }
        if (r.blockedBy.some(b => b.reason === 'quota')) quotaCaps++;
        state = d.state;
        for (const c of d.changes) {
          state = recordAutoscalingChange(state, c.role, {
            ...c,
            at: T0 + step * 15_000,
          });
          replicas = c.to;
        }
      }
    }
    expect(beyondQuota).toEqual([]);
    expect(decisions).toBeGreaterThanOrEqual(1000);
    // Not vacuous: the quota capped some scale-ups and others went through.
    expect(quotaCaps).toBeGreaterThan(20);
    expect(scaleUps).toBeGreaterThan(20);
  });
});
