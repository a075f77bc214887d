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
  childProblems,
  loadCustomSchemas,
} from '../__testUtils__/childSchemas';
import { loadExample } from '../__testUtils__/examples';
import { LABELS } from '../constants';
import { renderInferenceService } from '../render';
import {
  HTTPRoute,
  InferencePool,
  InferenceService,
  KubeObject,
} from '../types';
import { validateInferenceService } from '../validate';
import {
  applyCanaryCommand,
  applyCanaryMode,
  CANARY_ANNOTATION,
  CANARY_STATUS_ANNOTATION,
  CanaryPolicy,
  CanaryStatus,
  canaryMode,
  readCanaryPolicy,
  readCanaryStatus,
  renderCanaryChildren,
  routeCanaryWeight,
  serializeCanaryStatus,
  tickCanary,
  TRACK_LABEL,
  workloadRevision,
} from '.';

const withCanary = (
  isvc: InferenceService,
  policy = '{}',
): InferenceService => ({
  ...isvc,
  metadata: {
    ...isvc.metadata,
    uid: 'uid-1',
    annotations: { ...isvc.metadata.annotations, [CANARY_ANNOTATION]: policy },
  },
});

const pd = () => withCanary(loadExample('router-pd-disaggregation-2-decode'));
const mono = () => withCanary(loadExample('monolithic-router-qwen'));

describe('canary policy', () => {
  it('takes the defaults from an empty annotation', () => {
    const { policy, issues } = readCanaryPolicy(mono());
    expect(issues).toEqual([]);
    expect(policy).toMatchObject({
      steps: [5, 25, 50],
      stepSeconds: 120,
      replicas: 1,
      onBreach: 'pause',
    });
  });

  it.each([
    ['steps: [25, 5]', 'steps', 'must increase'],
    ['steps: [5, 100]', 'steps', 'from 1 to 99'],
    ['stepSeconds: 1', 'stepSeconds', 'from 10 to 86400'],
    ['replicas: 0', 'replicas', 'from 1 to 100'],
    ['onBreach: explode', 'onBreach', '"pause" or "rollback"'],
    ['analysis: { maxErrorRate: 2 }', 'analysis.maxErrorRate', 'from 0 to 1'],
    ['analysis: { p99: 1 }', 'analysis.p99', 'is not a canary limit'],
    ['colour: blue', 'colour', 'is not a canary setting'],
    ['[1, 2]', '', 'must be a mapping'],
  ])('refuses %s naming %s', (text, field, rule) => {
    const { policy, issues } = readCanaryPolicy(
      mono() && withCanary(mono(), text),
    );
    expect(policy).toBeUndefined();
    expect(issues).toContainEqual({
      path: `metadata.annotations["${CANARY_ANNOTATION}"]${field ? `.${field}` : ''}`,
      message: expect.stringContaining(rule),
    });
    // Validation carries the same issue as an error.
    const v = validateInferenceService(withCanary(mono(), text));
    expect(v.valid).toBe(false);
  });

  it('needs a router to weigh and canary names that fit', () => {
    const noRouter = withCanary(loadExample('monolithic-no-router'));
    expect(readCanaryPolicy(noRouter).issues[0].message).toMatch(
      /needs a router role/,
    );
    const long = mono();
    long.metadata.name = 'a'.repeat(30);
    long.spec.roles = long.spec.roles.map(r =>
      r.componentType === 'router' ? r : { ...r, name: 'w'.repeat(12) },
    );
    expect(readCanaryPolicy(long).issues[0].message).toMatch(
      /canary LeaderWorkerSet name .* would be longer than 50/,
    );
  });
});

describe('canary children', () => {
  const schemas = loadCustomSchemas();

  it('labels the stable pods with their track only when the service has the annotation', () => {
    const plain = renderInferenceService(loadExample('monolithic-router-qwen'));
    const lws = (c: KubeObject[]) =>
      c.find(o => o.kind === 'LeaderWorkerSet') as any;
    expect(
      lws(plain.children).spec.leaderWorkerTemplate.workerTemplate.metadata
        .labels[TRACK_LABEL],
    ).toBeUndefined();
    const tracked = renderInferenceService(mono());
    expect(
      lws(tracked.children).spec.leaderWorkerTemplate.workerTemplate.metadata
        .labels[TRACK_LABEL],
    ).toBe('stable');
  });

  it('renders replicas, a PodGroup each for gang roles, its own EPP and pool, all valid and owned by the service', () => {
    const isvc = pd();
    const kids = renderCanaryChildren(isvc, 2);
    const names = kids.map(k => `${k.kind}/${k.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'LeaderWorkerSet/disaggregated-llm-service-prefill-servers-canary-0',
        'LeaderWorkerSet/disaggregated-llm-service-decode-servers-canary-1',
        'PodGroup/disaggregated-llm-service-decode-servers-canary-1',
        'Deployment/disaggregated-llm-service-canary-epp',
        'ConfigMap/disaggregated-llm-service-canary-epp-config',
        'InferencePool/disaggregated-llm-service-canary-pool',
      ]),
    );
    expect(names.some(n => n.startsWith('HTTPRoute/'))).toBe(false);
    for (const k of kids) {
      expect(childProblems(k, schemas)).toEqual([]);
      expect(k.metadata.labels?.[LABELS.service]).toBe(
        'disaggregated-llm-service',
      );
      expect(k.metadata.labels?.[TRACK_LABEL]).toBe('canary');
      expect(k.metadata.ownerReferences?.[0]).toMatchObject({
        name: 'disaggregated-llm-service',
        uid: 'uid-1',
      });
    }
    const pool = kids.find(k => k.kind === 'InferencePool') as InferencePool;
    expect(pool.spec.selector.matchLabels).toMatchObject({
      [LABELS.service]: 'disaggregated-llm-service',
      [TRACK_LABEL]: 'canary',
    });
    const lws = kids.find(k => k.kind === 'LeaderWorkerSet') as any;
    expect(
      lws.spec.leaderWorkerTemplate.workerTemplate.metadata.labels[TRACK_LABEL],
    ).toBe('canary');
    // The canary EPP reads its own pool.
    const epp = kids.find(k => k.kind === 'Deployment') as any;
    expect(epp.spec.template.spec.containers[0].args).toContain(
      '--pool-name=disaggregated-llm-service-canary-pool',
    );
    expect(
      renderCanaryChildren(withCanary(loadExample('monolithic-no-router')), 1),
    ).toEqual([]);
  });

  it('splits the stable pool from the canary and weighs the route', () => {
    const isvc = mono();
    const svc = isvc.metadata.name!;
    const { children } = renderInferenceService(isvc);
    const same = applyCanaryMode(svc, children, {
      renderCanary: false,
      weight: 0,
    });
    expect(same).toBe(children);
    const out = applyCanaryMode(svc, children, {
      renderCanary: true,
      weight: 25,
    });
    const pool = out.find(k => k.kind === 'InferencePool') as InferencePool;
    expect(pool.spec.selector.matchLabels[TRACK_LABEL]).toBe('stable');
    const route = out.find(k => k.kind === 'HTTPRoute') as HTTPRoute;
    expect(route.spec.rules![0].backendRefs).toEqual([
      expect.objectContaining({ name: `${svc}-pool`, weight: 75 }),
      expect.objectContaining({ name: `${svc}-canary-pool`, weight: 25 }),
    ]);
    expect(routeCanaryWeight(route, svc)).toBe(25);
    expect(
      routeCanaryWeight(
        children.find(k => k.kind === 'HTTPRoute'),
        svc,
      ),
    ).toBe(0);
    // The rendered children are not changed in place, and the hash labels follow the specs.
    expect(
      (children.find(k => k.kind === 'InferencePool') as InferencePool).spec
        .selector.matchLabels[TRACK_LABEL],
    ).toBeUndefined();
    expect(route.metadata.labels?.[LABELS.specHash]).not.toBe(
      children.find(k => k.kind === 'HTTPRoute')!.metadata.labels?.[
        LABELS.specHash
      ],
    );
    for (const k of out) expect(childProblems(k, schemas)).toEqual([]);
    // At weight 0 (starting) the route stays as upstream renders it.
    const starting = applyCanaryMode(svc, children, {
      renderCanary: true,
      weight: 0,
    });
    expect(starting.find(k => k.kind === 'HTTPRoute')).toBe(
      children.find(k => k.kind === 'HTTPRoute'),
    );
  });

  it('a new revision is a change of the workloads, not of the replica counts or the router', () => {
    const a = mono();
    const b = JSON.parse(JSON.stringify(a)) as InferenceService;
    b.spec.roles.forEach(r => {
      r.replicas = 7;
    });
    expect(workloadRevision(b)).toBe(workloadRevision(a));
    const c = JSON.parse(JSON.stringify(a)) as InferenceService;
    const worker = c.spec.roles.find(r => r.componentType === 'worker')!;
    (worker as any).template.spec.containers[0].image = 'vllm/vllm-openai:v9';
    expect(workloadRevision(c)).not.toBe(workloadRevision(a));
  });
});

describe('canary state machine', () => {
  const policy: CanaryPolicy = {
    steps: [5, 25, 50],
    stepSeconds: 60,
    replicas: 1,
    minRequests: 5,
    analysis: { maxTtftP95Seconds: 1, maxErrorRate: 0.05 },
    onBreach: 'pause',
    autoPromote: false,
  };
  const seen = { stableOutdated: true, stableTracked: true };
  const T0 = Date.parse('2026-12-05T10:00:00Z');
  const base = {
    policy,
    revision: 'r2',
    seen,
    canaryReady: false,
    stablePromoted: false,
    now: T0,
  };
  const healthy = { ttftP95: 0.3, errorRate: 0, requests: 12 };

  it('starts only for an outdated, tracked revision', () => {
    expect(
      tickCanary({
        ...base,
        seen: { stableOutdated: false, stableTracked: true },
      }),
    ).toBeUndefined();
    expect(
      tickCanary({
        ...base,
        seen: { stableOutdated: true, stableTracked: false },
      }),
    ).toBeUndefined();
    expect(
      canaryMode(policy, undefined, 'r2', {
        stableOutdated: true,
        stableTracked: false,
      }),
    ).toMatchObject({
      renderCanary: false,
      holdStable: false,
      reason: expect.stringMatching(/waves/),
    });
    const s = tickCanary(base)!;
    expect(s).toMatchObject({
      phase: 'Starting',
      weight: 0,
      step: -1,
      revision: 'r2',
    });
    expect(canaryMode(policy, s, 'r2', seen)).toMatchObject({
      renderCanary: true,
      weight: 0,
      holdStable: true,
    });
  });

  it('walks the steps on passing checks with traffic, then waits for a promotion, then completes', () => {
    let s = tickCanary(base)!;
    // Not Ready: nothing moves, and the same object comes back (no write).
    expect(tickCanary({ ...base, status: s, now: T0 + 5000 })).toBe(s);
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      now: T0 + 10_000,
    })!;
    expect(s).toMatchObject({ phase: 'Progressing', step: 0, weight: 5 });
    const at = (sec: number) => T0 + 10_000 + sec * 1000;
    // A window without traffic does not pass a step, even after stepSeconds.
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      sample: { requests: 0 },
      now: at(61),
    })!;
    expect(s).toMatchObject({
      step: 0,
      reason: expect.stringMatching(/enough canary requests to be judged/),
    });
    // A second window without any request is no news: nothing changes, nothing is written.
    expect(
      tickCanary({
        ...base,
        status: s,
        canaryReady: true,
        sample: { requests: 0 },
        now: at(61.2),
      }),
    ).toBe(s);
    // Nor does one with too few requests to judge (here 3 < 5, though slow): recorded, not judged.
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      sample: { ttftP95: 9, requests: 3 },
      now: at(61.5),
    })!;
    expect(s).toMatchObject({ phase: 'Progressing', step: 0 });
    expect(s.checks.at(-1)).toMatchObject({
      breaches: [],
      note: '3 canary requests, fewer than 5: not judged',
    });
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      sample: healthy,
      now: at(62),
    })!;
    expect(s).toMatchObject({ step: 1, weight: 25 });
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      sample: healthy,
      now: at(100),
    })!;
    expect(s.step).toBe(1);
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      sample: healthy,
      now: at(125),
    })!;
    expect(s).toMatchObject({ step: 2, weight: 50 });
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      sample: healthy,
      now: at(190),
    })!;
    expect(s).toMatchObject({ phase: 'AwaitingPromotion', weight: 50 });
    expect(canaryMode(policy, s, 'r2', seen)).toMatchObject({
      holdStable: true,
      weight: 50,
    });
    const promoted = applyCanaryCommand(
      s,
      'r2',
      'promote',
      'user:default/ana',
      at(200),
    );
    if ('error' in promoted) throw new Error(promoted.error);
    s = promoted.status;
    expect(s.phase).toBe('Promoting');
    // Promoting: the stable replicas move in waves, the canary keeps its weight.
    expect(canaryMode(policy, s, 'r2', seen)).toMatchObject({
      renderCanary: true,
      holdStable: false,
      weight: 50,
    });
    expect(
      tickCanary({ ...base, status: s, canaryReady: true, now: at(210) }),
    ).toBe(s);
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      stablePromoted: true,
      now: at(300),
    })!;
    expect(s).toMatchObject({ phase: 'Complete', weight: 0 });
    expect(
      canaryMode(policy, s, 'r2', {
        stableOutdated: false,
        stableTracked: true,
      }),
    ).toMatchObject({ renderCanary: false, holdStable: false });
    expect(s.events.map(e => e.message)).toEqual([
      'canary of revision r2 started',
      'canary Ready: 5 % of the traffic',
      'step 2 of 3: 25 %',
      'step 3 of 3: 50 %',
      'every step passed; waiting for a promotion',
      'promotion started by user:default/ana',
      expect.stringMatching(/^promoted/),
    ]);
  });

  it('pauses on a breach, or rolls back when so configured; rollback sends all traffic back at once', () => {
    let s = tickCanary(base)!;
    s = tickCanary({ ...base, status: s, canaryReady: true, now: T0 + 1000 })!;
    const slow = { ttftP95: 2.1, errorRate: 0, requests: 9 };
    const paused = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      sample: slow,
      now: T0 + 16_000,
    })!;
    expect(paused).toMatchObject({
      phase: 'Paused',
      weight: 5,
      reason: 'TTFT p95 2.1 s > 1 s',
    });
    expect(paused.checks.at(-1)!.breaches).toEqual(['TTFT p95 2.1 s > 1 s']);
    // Paused: time does not move it.
    expect(
      tickCanary({
        ...base,
        status: paused,
        canaryReady: true,
        now: T0 + 900_000,
      }),
    ).toBe(paused);
    const rb = tickCanary({
      ...base,
      policy: { ...policy, onBreach: 'rollback' },
      status: s,
      canaryReady: true,
      sample: { ttftP95: 0.2, errorRate: 0.2, requests: 10 },
      now: T0 + 16_000,
    })!;
    expect(rb).toMatchObject({ phase: 'RolledBack', weight: 0 });
    expect(canaryMode(policy, rb, 'r2', seen)).toMatchObject({
      renderCanary: false,
      weight: 0,
      holdStable: true,
    });
    // A rolled-back revision stays rolled back; resume starts it again; a new revision starts anew.
    expect(
      tickCanary({ ...base, status: rb, canaryReady: true, now: T0 + 20_000 }),
    ).toBe(rb);
    const again = applyCanaryCommand(
      rb,
      'r2',
      'resume',
      'user:default/ana',
      T0 + 30_000,
    );
    expect(again).toMatchObject({
      status: { phase: 'Starting', weight: 0, step: -1 },
    });
    expect(
      tickCanary({ ...base, revision: 'r3', status: rb, now: T0 + 40_000 }),
    ).toMatchObject({ revision: 'r3', phase: 'Starting' });
  });

  it('the ratio limit compares with the stable endpoints in the same window', () => {
    let s = tickCanary({
      ...base,
      policy: { ...policy, analysis: { maxTtftP95Ratio: 1.5 } },
    })!;
    s = tickCanary({ ...base, status: s, canaryReady: true, now: T0 + 1000 })!;
    const p = { ...policy, analysis: { maxTtftP95Ratio: 1.5 } };
    const ok = tickCanary({
      ...base,
      policy: p,
      status: s,
      canaryReady: true,
      sample: { ttftP95: 0.4, stableTtftP95: 0.3, requests: 5 },
      now: T0 + 16_000,
    })!;
    expect(ok.phase).toBe('Progressing');
    const bad = tickCanary({
      ...base,
      policy: p,
      status: s,
      canaryReady: true,
      sample: { ttftP95: 0.8, stableTtftP95: 0.4, requests: 5 },
      now: T0 + 16_000,
    })!;
    expect(bad).toMatchObject({
      phase: 'Paused',
      reason: expect.stringMatching(/2× the stable 0.4 s > 1.5×/),
    });
  });

  it('pauses before sending traffic when the Gateway cannot weigh the pools', () => {
    let s = tickCanary(base)!;
    s = tickCanary({
      ...base,
      status: s,
      canaryReady: true,
      gatewayProblem: 'no parent Gateway',
      now: T0 + 1000,
    })!;
    expect(s).toMatchObject({
      phase: 'Paused',
      weight: 0,
      reason: 'no parent Gateway',
    });
  });

  it('commands refuse what cannot apply, naming why', () => {
    const s = tickCanary(base)!;
    expect(applyCanaryCommand(s, 'r2', 'promote', 'u', T0)).toEqual({
      error: 'the canary replicas are not Ready yet',
    });
    expect(
      applyCanaryCommand(undefined, 'r2', 'rollback', 'u', T0),
    ).toMatchObject({ error: expect.stringMatching(/no canary runs/) });
    expect(applyCanaryCommand(s, 'r1', 'rollback', 'u', T0)).toMatchObject({
      error: expect.stringMatching(/no canary runs/),
    });
    const promoting: CanaryStatus = { ...s, phase: 'Promoting' };
    expect(
      applyCanaryCommand(promoting, 'r2', 'rollback', 'u', T0),
    ).toMatchObject({ error: expect.stringMatching(/revert the spec/) });
    expect(applyCanaryCommand(s, 'r2', 'resume', 'u', T0)).toMatchObject({
      error: 'the canary is Starting, not paused',
    });
  });

  it('reads back what it writes, and survives junk', () => {
    const s = tickCanary(base)!;
    const isvc = {
      metadata: {
        annotations: { [CANARY_STATUS_ANNOTATION]: serializeCanaryStatus(s) },
      },
    };
    expect(readCanaryStatus(isvc)).toEqual(s);
    for (const junk of [
      '',
      '{',
      '[]',
      '{"phase":"Nope","revision":"r","since":"x"}',
      'x'.repeat(70_000),
    ])
      expect(
        readCanaryStatus({
          metadata: { annotations: { [CANARY_STATUS_ANNOTATION]: junk } },
        }),
      ).toBeUndefined();
    // Bounded: a long history keeps the newest checks and events.
    const many: CanaryStatus = {
      ...s,
      checks: Array.from({ length: 100 }, (_, i) => ({
        at: String(i),
        weight: 5,
        breaches: [],
      })),
      events: Array.from({ length: 100 }, (_, i) => ({
        at: String(i),
        phase: 'Progressing' as const,
        weight: 5,
        message: 'm',
      })),
    };
    const back = readCanaryStatus({
      metadata: {
        annotations: {
          [CANARY_STATUS_ANNOTATION]: serializeCanaryStatus(many),
        },
      },
    })!;
    expect(back.checks).toHaveLength(20);
    expect(back.checks[19].at).toBe('99');
    expect(back.events).toHaveLength(40);
  });
});
