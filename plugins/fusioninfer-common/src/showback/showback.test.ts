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

import fc from 'fast-check';
import { parsePrometheusText } from '../metrics/prometheus';
import { readModelServerMetrics } from '../metrics/modelServer';
import { Pod } from '../types';
import { readPriceSheet } from './prices';
import {
  apportion,
  budgetStatus,
  budgetThresholdsToNotify,
  costOfUsage,
  monthOf,
  resolveShowbackWindow,
  serviceShowback,
  teamShowback,
  tokenCosts,
} from './showback';
import {
  addUsage,
  holdingsOf,
  modelServerCounters,
  observeReplicas,
  ServiceUsageObservation,
  UsageSample,
  usageSampleOf,
} from './usage';
import recorded from './__fixtures__/qwen-two-replicas.json';

const sheet = readPriceSheet({
  currency: 'USD',
  prices: [
    {
      resource: 'nvidia.com/gpu',
      product: 'NVIDIA-H100-80GB-HBM3',
      perHour: 4,
    },
    { resource: 'nvidia.com/gpu', perHour: 2.5 },
    { resource: 'nvidia.com/mig-3g.40gb', perHour: 1.1 },
  ],
})!;

/** An observation of the recorded service: its pods on their nodes, and each leader's scrape. */
function observationOf(scrape: (typeof recorded.scrapes)[number]) {
  const nodes = recorded.nodes as Record<string, Record<string, string>>;
  const replicas = observeReplicas(recorded.pods as Pod[], n => nodes[n]);
  const metrics = scrape.metrics as Record<string, string>;
  return {
    at: scrape.at,
    replicas: replicas.map(r => ({
      ...r,
      counters: modelServerCounters(
        readModelServerMetrics(
          parsePrometheusText(metrics[`${r.key}-0`]),
          scrape.at,
        ),
      ),
    })),
  };
}

describe('showback on a recorded fixture', () => {
  const before = observationOf(recorded.scrapes[0]);
  const after = observationOf(recorded.scrapes[1]);
  const sample = usageSampleOf(before, after, { maxSeconds: 120 })!;

  it('observes two replicas of one H100 each, one busy and one idle', () => {
    expect(after.replicas.map(r => [r.key, r.ready, r.accelerators])).toEqual([
      [
        'qwen-inference-worker-0',
        true,
        [
          {
            resource: 'nvidia.com/gpu',
            product: 'NVIDIA-H100-80GB-HBM3',
            units: 1,
          },
        ],
      ],
      [
        'qwen-inference-worker-1',
        true,
        [
          {
            resource: 'nvidia.com/gpu',
            product: 'NVIDIA-H100-80GB-HBM3',
            units: 1,
          },
        ],
      ],
    ]);
    expect(sample.accelerators).toEqual([
      {
        resource: 'nvidia.com/gpu',
        product: 'NVIDIA-H100-80GB-HBM3',
        seconds: 2 * 60.032,
        idleSeconds: 60.032,
        unmeasuredSeconds: 0,
      },
    ]);
  });

  it('costs per million tokens within 2 % of the hand computation', () => {
    // By hand, from the fixture's text: the scrapes are 60.032 s apart (1796450693227 − 1796450633195 ms).
    // Replica 0: vllm:prompt_tokens_total 64 → 14891, vllm:generation_tokens_total 9 → 1309; replica 1 unchanged
    // (39 and 26). So 14,827 prompt and 1,300 generation tokens, 16,127 in all.
    // Two H100 at $4.00 per GPU-hour for 60.032 s: 2 × 4 × 60.032 / 3600 = $0.133404.
    // Blended: 0.133404 / 16,127 × 10^6 = $8.272 per million tokens.
    // Split (multiplier 2.5): weights 14,827 and 2.5 × 1,300 = 3,250; input = 0.133404 × 14,827 / 18,077 = $0.109420,
    // output = $0.023984; per million: 0.109420 / 14,827 × 10^6 = $7.380 prompt, 0.023984 / 1,300 × 10^6 = $18.449.
    const s = serviceShowback(
      {
        ...recorded.service,
        entityRef: 'component:default/qwen-inference',
        window: sample,
        monthToDate: sample,
        now: holdingsOf(after.replicas),
      },
      sheet,
      recorded.scrapes[1].at,
    );
    const near = (actual: number | undefined, expected: number) =>
      expect(Math.abs(actual! - expected) / expected).toBeLessThan(0.02);
    near(s.totalCost, 0.133404);
    near(s.costPerMillionTokens, 8.272);
    near(s.inputCostPerMillionTokens, 7.38);
    near(s.outputCostPerMillionTokens, 18.449);
    expect(s).toMatchObject({
      promptTokens: 14827,
      generationTokens: 1300,
      totalTokens: 16127,
      requests: 40,
      allocationMethod: 'multiplier',
      idleShare: 0.5,
      gpuHours: 0.033351,
      idleGpuHours: 0.016676,
      gpusNow: 2,
      costPerHourNow: 8,
      costPerHourNowMicros: 8_000_000,
      totalCostMicros: 133404,
    });
    // The split adds up to the whole, in micros.
    expect(
      Math.round(s.inputCost! * 1e6) + Math.round(s.outputCost! * 1e6),
    ).toBe(s.totalCostMicros);
  });
});

const obs = (
  at: number,
  replicas: ServiceUsageObservation['replicas'],
): ServiceUsageObservation => ({ at, replicas });
const gpu = (units: number, product?: string) => [
  { resource: 'nvidia.com/gpu', ...(product ? { product } : {}), units },
];

describe('usageSampleOf', () => {
  it('calls a replica idle, busy or unmeasured', () => {
    const before = obs(0, [
      {
        key: 'a',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 5, running: 0 },
      },
      {
        key: 'b',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 5, running: 1 },
      },
      {
        key: 'c',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 5, running: 0 },
      },
      { key: 'd', ready: true, accelerators: gpu(1) },
      {
        key: 'f',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 9 },
      },
    ]);
    const after = obs(60_000, [
      // finished nothing, nothing running at either end
      {
        key: 'a',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 5, running: 0 },
      },
      // a long request running through the interval
      {
        key: 'b',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 5, running: 0 },
      },
      // finished one
      {
        key: 'c',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 6, running: 0 },
      },
      // no counters before
      {
        key: 'd',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 1 },
      },
      // new replica
      {
        key: 'e',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 0 },
      },
      // restarted: counter lower than before, counted from 0
      {
        key: 'f',
        ready: true,
        accelerators: gpu(1),
        counters: { requests: 2 },
      },
      // not ready: holds a GPU, serves nothing
      { key: 'g', ready: false, accelerators: gpu(2) },
    ]);
    const s = usageSampleOf(before, after, { maxSeconds: 120 })!;
    expect(s.seconds).toBe(60);
    expect(s.start).toBe(0);
    expect(s.requests).toBe(1 + 2);
    expect(s.accelerators).toEqual([
      {
        resource: 'nvidia.com/gpu',
        seconds: 8 * 60,
        idleSeconds: (1 + 2) * 60, // a and g
        unmeasuredSeconds: 2 * 60, // d and e
      },
    ]);
  });

  it('bills at most maxSeconds after a gap, and nothing when no time passed', () => {
    const a = obs(0, [{ key: 'a', ready: true, accelerators: gpu(4) }]);
    const b = obs(3_600_000, [{ key: 'a', ready: true, accelerators: gpu(4) }]);
    expect(usageSampleOf(a, b, { maxSeconds: 120 })).toMatchObject({
      start: 3_600_000 - 120_000,
      seconds: 120,
      accelerators: [{ seconds: 480 }],
    });
    expect(usageSampleOf(b, b, { maxSeconds: 120 })).toBeUndefined();
  });

  it('counts prompt tokens on prefillers and generation on decoders in a P/D service', () => {
    const c = (p: number, g: number, requests: number) => ({
      promptTokens: p,
      generationTokens: g,
      requests,
      running: 0,
    });
    const before = obs(0, [
      {
        key: 'p',
        componentType: 'prefiller',
        ready: true,
        accelerators: gpu(1),
        counters: c(0, 0, 0),
      },
      {
        key: 'd',
        componentType: 'decoder',
        ready: true,
        accelerators: gpu(1),
        counters: c(0, 0, 0),
      },
    ]);
    const after = obs(1000, [
      {
        key: 'p',
        componentType: 'prefiller',
        ready: true,
        accelerators: gpu(1),
        counters: c(1000, 10, 10),
      },
      {
        key: 'd',
        componentType: 'decoder',
        ready: true,
        accelerators: gpu(1),
        counters: c(1000, 500, 10),
      },
    ]);
    expect(usageSampleOf(before, after, { maxSeconds: 60 })).toMatchObject({
      promptTokens: 1000,
      generationTokens: 500,
      requests: 10,
    });
  });

  it('types accelerators by the node product for its vendor only, and bills only the service own pods', () => {
    const pod = (
      name: string,
      node: string | undefined,
      resources: Record<string, string>,
      extra: Partial<Pod['metadata']> = {},
      phase = 'Running',
    ): Pod =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          labels: {
            'leaderworkerset.sigs.k8s.io/name': name.replace(/-\d+$/, ''),
            'leaderworkerset.sigs.k8s.io/worker-index': '0',
          },
          ...extra,
        },
        spec: {
          ...(node ? { nodeName: node } : {}),
          containers: [
            { name: 'c', image: 'x', resources: { limits: resources } },
          ],
        },
        status: { phase },
      }) as unknown as Pod;
    const labels: Record<string, Record<string, string>> = {
      n1: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
    };
    const replicas = observeReplicas(
      [
        pod('s-w-0-0', 'n1', {
          'nvidia.com/gpu': '2',
          'nvidia.com/gpumem': '1000',
        }),
        pod('s-w-1-0', 'n1', {
          'amd.com/gpu': '1',
          'nvidia.com/mig-3g.40gb': '2',
        }),
        pod('s-w-2-0', undefined, { 'nvidia.com/gpu': '8' }), // pending: holds nothing
        pod('s-w-3-0', 'n1', { 'nvidia.com/gpu': '8' }, {}, 'Succeeded'),
        pod('other-0', 'n1', { 'nvidia.com/gpu': '8' }), // not one of the service's LeaderWorkerSets
      ],
      n => labels[n],
      { leaderWorkerSets: new Set(['s-w-0', 's-w-1', 's-w-2', 's-w-3']) },
    );
    expect(holdingsOf(replicas)).toEqual([
      { resource: 'amd.com/gpu', units: 1 },
      {
        resource: 'nvidia.com/gpu',
        product: 'NVIDIA-A100-SXM4-80GB',
        units: 2,
      },
      {
        resource: 'nvidia.com/mig-3g.40gb',
        product: 'NVIDIA-A100-SXM4-80GB',
        units: 2,
      },
    ]);
  });
});

describe('costs', () => {
  it('prices each type, rounds once and apportions the total over the types', () => {
    const usage: UsageSample = {
      start: 0,
      seconds: 3600,
      accelerators: [
        {
          resource: 'nvidia.com/gpu',
          product: 'NVIDIA-H100-80GB-HBM3',
          seconds: 3600,
          idleSeconds: 0,
          unmeasuredSeconds: 0,
        },
        {
          resource: 'nvidia.com/gpu',
          product: 'NVIDIA-L4',
          seconds: 1800,
          idleSeconds: 1800,
          unmeasuredSeconds: 0,
        },
        {
          resource: 'nvidia.com/mig-3g.40gb',
          seconds: 7,
          idleSeconds: 0,
          unmeasuredSeconds: 7,
        },
        {
          resource: 'example.com/tpu',
          seconds: 3600,
          idleSeconds: 0,
          unmeasuredSeconds: 0,
        },
      ],
      promptTokens: 0,
      generationTokens: 0,
      requests: 0,
    };
    const c = costOfUsage(usage, sheet);
    // 4.00 + 0.5 × 2.50 + 7/3600 × 1.10 = 5.2521389 → 5,252,139 micros
    expect(c.totalCostMicros).toBe(5_252_139);
    expect(c.accelerators.map(a => [a.priceSource, a.totalCostMicros])).toEqual(
      [
        ['product', 4_000_000],
        ['resource', 1_250_000],
        ['resource', 2139],
        ['none', 0],
      ],
    );
    // GPU equivalents: 1 + 0.5 + 7 × 3/7 / 3600 + 1
    expect(c.gpuHours).toBeCloseTo(2.500833, 6);
    expect(c.idleShare).toBeCloseTo(0.5 / (2.500833 - 0.000833), 6);
  });

  it('apportions an integer total exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), {
          maxLength: 20,
        }),
        (total, exact) => {
          const parts = apportion(total, exact);
          expect(parts.every(Number.isInteger)).toBe(true);
          // Nothing to weigh by: nothing is handed out.
          const expected = exact.some(x => x > 0) ? total : 0;
          expect(parts.reduce((a, b) => a + b, 0)).toBe(expected);
        },
      ),
    );
  });

  it('splits the cost by the multiplier and leaves out figures without tokens', () => {
    expect(
      tokenCosts(
        1_000_000,
        { promptTokens: 0, generationTokens: 0, requests: 0 },
        2.5,
      ),
    ).toEqual({
      promptTokens: 0,
      generationTokens: 0,
      totalTokens: 0,
      requests: 0,
      allocationMethod: 'multiplier',
    });
    const t = tokenCosts(
      1_000_000,
      { promptTokens: 500_000, generationTokens: 200_000, requests: 7 },
      2.5,
    );
    // weights 500,000 and 500,000: half each
    expect(t).toMatchObject({
      inputCost: 0.5,
      outputCost: 0.5,
      inputCostPerMillionTokens: 1,
      outputCostPerMillionTokens: 2.5,
      costPerMillionTokens: 1_000_000 / 700_000,
    });
  });
});

describe('month, window, projection and budget', () => {
  const now = Date.parse('2026-12-11T00:00:00Z'); // 10 of 31 days gone

  it('reads months in UTC and resolves windows', () => {
    expect(monthOf(now)).toEqual({
      key: '2026-12',
      start: Date.parse('2026-12-01T00:00:00Z'),
      end: Date.parse('2027-01-01T00:00:00Z'),
    });
    expect(resolveShowbackWindow({}, now)).toEqual({
      start: Date.parse('2026-12-01T00:00:00Z'),
      end: now,
    });
    expect(
      resolveShowbackWindow(
        { from: '2026-12-10T00:00:00Z', to: '2027-02-01T00:00:00Z' },
        now,
      ),
    ).toEqual({ start: Date.parse('2026-12-10T00:00:00Z'), end: now });
    expect(
      resolveShowbackWindow({ from: '2026-12-12T00:00:00Z' }, now),
    ).toEqual({
      error: 'from: must be before now (2026-12-11T00:00:00.000Z)',
    });
    expect(
      resolveShowbackWindow({ from: '2026-10-01T00:00:00Z' }, now),
    ).toEqual({
      error:
        'from: the window may span at most 45 days (usage is kept as long)',
    });
  });

  const tenDays: UsageSample = {
    start: Date.parse('2026-12-01T00:00:00Z'),
    seconds: 10 * 86400,
    accelerators: [
      {
        resource: 'nvidia.com/gpu',
        seconds: 10 * 86400,
        idleSeconds: 0,
        unmeasuredSeconds: 0,
      },
    ],
    promptTokens: 0,
    generationTokens: 0,
    requests: 0,
  };
  const input = {
    cluster: 'dev',
    namespace: 'demo',
    name: 'a',
    entityRef: 'component:default/a',
    window: tenDays,
    monthToDate: tenDays,
  };

  it('projects the month linearly on the month so far, and not beyond what is held now', () => {
    // 240 GPU-hours at 2.50 = 600; 600 per 10 days → 1,860 for 31 days.
    const s = serviceShowback({ ...input, now: gpu(1) }, sheet, now);
    expect(s.monthToDate.totalCostMicros).toBe(600_000_000);
    expect(s.projectedMonth.totalCostMicros).toBe(1_860_000_000);
    // Deleted (holds nothing now): what was spent is all there will be.
    expect(
      serviceShowback({ ...input, now: [] }, sheet, now).projectedMonth
        .totalCostMicros,
    ).toBe(600_000_000);
    // Started on day 6: its 5 days' rate, not diluted over 10.
    const late = { ...tenDays, start: Date.parse('2026-12-06T00:00:00Z') };
    expect(
      serviceShowback({ ...input, monthToDate: late, now: gpu(1) }, sheet, now)
        .projectedMonth.totalCostMicros,
    ).toBe(600_000_000 + 600_000_000 * (21 / 5));
  });

  it('prices the approved size like what it runs on, and says how much of it was held', () => {
    const s = serviceShowback(
      {
        ...input,
        now: gpu(1, 'NVIDIA-H100-80GB-HBM3'),
        approved: { 'nvidia.com/gpu': 2 },
      },
      sheet,
      now,
    );
    expect(s.approved).toEqual({ gpus: 2, costPerHour: 8, heldShare: 0.5 });
  });

  it('gives the budget status at 80 % and 100 % spent, and when projected over', () => {
    const b = { monthly: 1000, currency: 'USD' };
    expect(budgetStatus(500e6, 900e6, b).status).toBe('ok');
    expect(budgetStatus(500e6, 1000e6, b)).toEqual({
      monthly: 1000,
      currency: 'USD',
      spentShare: 0.5,
      projectedShare: 1,
      status: 'projected-over',
    });
    expect(budgetStatus(800e6, 2000e6, b).status).toBe('warning');
    expect(budgetStatus(1000e6, 1000e6, b).status).toBe('exceeded');
    expect(budgetThresholdsToNotify(0.79, [])).toEqual([]);
    expect(budgetThresholdsToNotify(0.8, [])).toEqual([80]);
    expect(budgetThresholdsToNotify(1.2, [])).toEqual([80, 100]);
    expect(budgetThresholdsToNotify(1.2, [80])).toEqual([100]);
    expect(budgetThresholdsToNotify(1.2, [80, 100])).toEqual([]);
  });

  it('rolls services up to teams with their budget and quota', () => {
    const a = serviceShowback(
      { ...input, team: 'group:default/a', project: 'a', now: gpu(1) },
      sheet,
      now,
    );
    const b = serviceShowback(
      {
        ...input,
        name: 'b',
        team: 'group:default/a',
        project: 'a',
        now: gpu(3),
      },
      sheet,
      now,
    );
    const c = serviceShowback({ ...input, name: 'c', now: [] }, sheet, now);
    const teams = teamShowback(
      [a, b, c],
      [
        {
          team: 'group:default/a',
          project: 'a',
          budget: { monthly: 1500, currency: 'USD' },
          quotaGpus: 4,
        },
        { team: 'group:default/empty', project: 'empty' },
      ],
      sheet,
      now,
    );
    expect(
      teams.map(t => [t.team, t.services, t.monthToDate.totalCostMicros]),
    ).toEqual([
      ['group:default/a', 2, 1_200_000_000],
      ['unowned', 1, 600_000_000],
      ['group:default/empty', 0, 0],
    ]);
    expect(teams[0]).toMatchObject({
      project: 'a',
      costPerHourNow: 10,
      gpusNow: 4,
      budget: { spentShare: 0.8, projectedShare: 2.48, status: 'warning' },
      // 4 GPUs × 744 h × 2.50 (the team's average) = 7,440; 480 of 4 × 240 GPU-hours held.
      quota: {
        gpus: 4,
        monthlyCost: 7440,
        spentShare: 1200 / 7440,
        heldShare: 0.5,
      },
    });
  });
});

describe('costs from OpenCost and project budgets', () => {
  const now = Date.parse('2026-12-11T00:00:00Z');
  const usage: UsageSample = {
    start: Date.parse('2026-12-01T00:00:00Z'),
    seconds: 3600,
    accelerators: [
      {
        resource: 'nvidia.com/gpu',
        seconds: 3 * 3600,
        idleSeconds: 0,
        unmeasuredSeconds: 0,
      },
      {
        resource: 'amd.com/gpu',
        seconds: 3600,
        idleSeconds: 0,
        unmeasuredSeconds: 0,
      },
    ],
    promptTokens: 1e6,
    generationTokens: 0,
    requests: 10,
  };
  const base = {
    cluster: 'dev',
    namespace: 'demo',
    name: 'a',
    entityRef: 'component:default/a',
    window: usage,
    monthToDate: usage,
    now: gpu(4),
  };

  it('replaces the price sheet with the external costs, split over the types by unit-hours', () => {
    const s = serviceShowback(
      {
        ...base,
        external: {
          windowCostMicros: 10_000_001,
          monthToDateCostMicros: 20_000_000,
          costPerHourMicros: 5_000_000,
          windowGpuHours: 4.5,
        },
      },
      sheet,
      now,
    );
    expect(s).toMatchObject({
      totalCostMicros: 10_000_001,
      gpuHours: 4.5,
      costPerHourNowMicros: 5_000_000,
      monthToDate: { totalCostMicros: 20_000_000 },
      costPerMillionTokens: 10.000001,
    });
    expect(
      s.accelerators.map(a => [a.resource, a.priceSource, a.totalCostMicros]),
    ).toEqual([
      ['nvidia.com/gpu', 'opencost', 7_500_001],
      ['amd.com/gpu', 'opencost', 2_500_000],
    ]);
  });

  it("compares a project's budget with the sums of all its teams' services", () => {
    const one = serviceShowback(
      { ...base, team: 'group:default/x', project: 'p' },
      sheet,
      now,
    );
    const two = serviceShowback(
      { ...base, name: 'b', team: 'group:default/y', project: 'p' },
      sheet,
      now,
    );
    const budget = { monthly: 20, currency: 'USD' };
    const teams = teamShowback(
      [one, two],
      [
        { team: 'group:default/x', project: 'p', budget },
        { team: 'group:default/y', project: 'p', budget },
      ],
      sheet,
      now,
    );
    // Each service: 3 GPU-hours at 2.50 + 1 unpriced = 7.50; the project 15.00 of 20.
    expect(
      teams.map(t => [t.team, t.totalCostMicros, t.budget?.spentShare]),
    ).toEqual([
      ['group:default/x', 7_500_000, 0.75],
      ['group:default/y', 7_500_000, 0.75],
    ]);
  });
});

describe('the team total is the sum of its services, exactly', () => {
  const usage = fc.record({
    start: fc.constant(Date.parse('2026-12-01T00:00:00Z')),
    seconds: fc.double({ min: 0, max: 45 * 86400, noNaN: true }),
    accelerators: fc.array(
      fc.record({
        resource: fc.constantFrom(
          'nvidia.com/gpu',
          'nvidia.com/mig-1g.10gb',
          'amd.com/gpu',
        ),
        product: fc.option(
          fc.constantFrom('NVIDIA-H100-80GB-HBM3', 'NVIDIA-L4'),
          { nil: undefined },
        ),
        seconds: fc.double({ min: 0, max: 1e7, noNaN: true }),
        idleSeconds: fc.constant(0),
        unmeasuredSeconds: fc.constant(0),
      }),
      { maxLength: 4 },
    ),
    promptTokens: fc.nat(1e9),
    generationTokens: fc.nat(1e9),
    requests: fc.nat(1e6),
  });
  const prices = fc.record({
    h100: fc.double({ min: 0, max: 100, noNaN: true }),
    any: fc.double({ min: 0, max: 100, noNaN: true }),
    fallback: fc.double({ min: 0, max: 100, noNaN: true }),
  });

  it('for random services, prices and teams (1,000 runs)', () => {
    fc.assert(
      fc.property(
        prices,
        fc.array(
          fc.record({
            team: fc.constantFrom(
              'group:default/a',
              'group:default/b',
              undefined,
            ),
            usage: fc.array(usage, { maxLength: 5 }),
            holds: fc.nat(16),
          }),
          { maxLength: 25 },
        ),
        (p, specs) => {
          const s = readPriceSheet({
            currency: 'USD',
            defaultPricePerHour: p.fallback,
            prices: [
              {
                resource: 'nvidia.com/gpu',
                product: 'NVIDIA-H100-80GB-HBM3',
                perHour: p.h100,
              },
              { resource: 'nvidia.com/gpu', perHour: p.any },
            ],
          })!;
          const now = Date.parse('2026-12-20T00:00:00Z');
          const services = specs.map((x, i) =>
            serviceShowback(
              {
                cluster: 'dev',
                namespace: 'ns',
                name: `s${i}`,
                entityRef: `component:default/s${i}`,
                ...(x.team ? { team: x.team } : {}),
                window: addUsage(x.usage),
                monthToDate: addUsage(x.usage),
                now: gpu(x.holds),
              },
              s,
              now,
            ),
          );
          const teams = teamShowback(services, [], s, now);
          for (const t of teams) {
            const mine = services.filter(x => (x.team ?? 'unowned') === t.team);
            const total = (f: (x: (typeof services)[number]) => number) =>
              mine.reduce((a, x) => a + f(x), 0);
            expect(t.totalCostMicros).toBe(total(x => x.totalCostMicros));
            expect(t.costPerHourNowMicros).toBe(
              total(x => x.costPerHourNowMicros),
            );
            expect(t.monthToDate.totalCostMicros).toBe(
              total(x => x.monthToDate.totalCostMicros),
            );
            expect(t.projectedMonth.totalCostMicros).toBe(
              total(x => x.projectedMonth.totalCostMicros),
            );
            expect(Number.isSafeInteger(t.totalCostMicros)).toBe(true);
          }
          // And each service's types add up to the service.
          for (const x of services)
            expect(
              x.accelerators.reduce((a, y) => a + y.totalCostMicros, 0),
            ).toBe(x.accelerators.length ? x.totalCostMicros : 0);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
