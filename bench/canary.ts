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
 * Benchmark of canaries by traffic weight (issue 19) on the development cluster and its Gateway: a 2-replica service
 * (router + worker) whose route hangs off the Gateway gets a new image; the canary replica takes 20 % of the traffic;
 * load goes through the Gateway all the time (fusioninfer-loadgen's gateway mode, 12 requests/s).
 *  - slow: the canary's image doubles the time to first token (`-slow`), gate `maxTtftP95Ratio: 1.5`, onBreach pause:
 *    the time from the canary's first weight to its pause, in metric intervals (the issue: within two);
 *    then Roll back: the time until the live HTTPRoute carries only the stable pool, and the last request the
 *    Gateway sent to the canary pool after the command (the issue: 100 % back within 5 s).
 *  - healthy: the same with an image that is not slower: checks in a row without a breach (no false pause).
 *
 *   npm run bench:canary            (writes bench/results/canary.json)
 */

import fs from 'fs';
import os from 'os';
import path from 'path';
import { KubeConfig } from '@kubernetes/client-node';
import { runLoad } from '@fusioninfer/dev-cluster';
import { KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import {
  applyCanaryCommand,
  CANARY_STATUS_ANNOTATION,
  InferenceService,
  readCanaryStatus,
  serializeCanaryStatus,
  workloadRevision,
} from '@fusioninfer/plugin-fusioninfer-common';
import {
  canaryService,
  startCanaryHarness,
} from '../plugins/fusioninfer-backend/src/__testUtils__/canaryHarness';

const ns = 'default';
const IMAGE = 'vllm/vllm-openai:v0.27.1';
/** The metric interval: the controller's evaluation period and the collector's window (the default is 15 s). */
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const service = (canary: unknown) => canaryService('llm', ns, canary, IMAGE);

async function runCase(kind: 'slow' | 'healthy') {
  const harness = await startCanaryHarness({
    namespace: ns,
    intervalMs: INTERVAL_MS,
    podStartupDelayMs: 500,
  });
  const { dev, client } = harness;
  const kc = new KubeConfig();
  kc.loadFromString(dev.kubeconfig());
  const get = () =>
    client.get<InferenceService>(KINDS.InferenceService, ns, 'llm');
  const route = () => client.get<any>(KINDS.HTTPRoute, ns, 'llm-httproute');
  try {
    await client.apply(
      service({
        steps: [20, 50],
        stepSeconds: 3600,
        analysis: { maxTtftP95Ratio: 1.5, maxErrorRate: 0.05 },
        onBreach: 'pause',
      }) as any,
    );
    await until(
      'two Ready stable replicas',
      async () =>
        (await client.list<any>(KINDS.Pod, ns)).filter(
          p =>
            p.metadata.labels?.['fusioninfer.io/track'] === 'stable' &&
            p.status?.conditions?.some(
              (c: any) => c.type === 'Ready' && c.status === 'True',
            ),
        ).length === 2,
      60_000,
    );
    const live = (await get())!;
    const image =
      kind === 'slow' ? `${IMAGE}-slow` : 'vllm/vllm-openai:v0.28.0';
    await client.mergePatch(KINDS.InferenceService, ns, 'llm', {
      spec: {
        roles: live.spec.roles.map(r =>
          r.componentType === 'worker'
            ? {
                ...r,
                template: {
                  spec: {
                    ...r.template!.spec,
                    containers: [{ ...r.template!.spec!.containers[0], image }],
                  },
                },
              }
            : r,
        ),
      },
    });
    const progressing = await until(
      'the canary at 20 %',
      async () => {
        const s = readCanaryStatus(await get());
        return s?.phase === 'Progressing' && s;
      },
      60_000,
    );
    const weighedAt = Date.parse(progressing.since);
    const loadStart = Date.now();
    const windows = kind === 'slow' ? 8 : 6;
    const traffic = runLoad({
      kubeConfig: kc,
      namespace: ns,
      gateway: { name: 'inference-gateway', host: 'llm.example.com' },
      rps: 12,
      durationSeconds: Math.ceil((windows * INTERVAL_MS) / 1000) + 4,
      maxTokens: 8,
      promptMix: 'random',
    });
    if (kind === 'healthy') {
      const result = await traffic;
      const s = readCanaryStatus(await get())!;
      return {
        case: 'healthy canary (same speed)',
        phase: s.phase,
        checks: s.checks.length,
        checksWithTraffic: s.checks.filter(c => (c.requests ?? 0) > 0).length,
        breaches: s.checks.filter(c => c.breaches.length).length,
        requests: result.sent,
        failed: result.failed,
      };
    }
    const paused = await until(
      'the canary paused by its gate',
      async () => {
        const s = readCanaryStatus(await get());
        return s?.phase === 'Paused' && s;
      },
      windows * INTERVAL_MS,
      100,
    );
    const pauseMs = Date.parse(paused.since) - Math.max(weighedAt, loadStart);
    // Roll back as the REST route does (common's command, the annotation written onto the version read).
    const before = (await get())!;
    const cmd = applyCanaryCommand(
      readCanaryStatus(before),
      workloadRevision(before),
      'rollback',
      'user:default/bench',
      Date.now(),
    );
    if ('error' in cmd) throw new Error(cmd.error);
    const t0 = Date.now();
    await client.mergePatch(KINDS.InferenceService, ns, 'llm', {
      metadata: {
        resourceVersion: before.metadata.resourceVersion,
        annotations: {
          [CANARY_STATUS_ANNOTATION]: serializeCanaryStatus(cmd.status),
        },
      },
    });
    await until(
      'the route on the stable pool alone',
      async () => {
        const refs = (await route())?.spec.rules[0].backendRefs ?? [];
        return refs.length === 1 && refs[0].name === 'llm-pool';
      },
      30_000,
      20,
    );
    const routeMs = Date.now() - t0;
    const result = await traffic;
    const rollbackSecond = (t0 - loadStart) / 1000;
    const canarySeconds = result
      .byBackend!.filter(
        b => (b.counts['InferencePool/llm-canary-pool'] ?? 0) > 0,
      )
      .map(b => b.second);
    const lastCanarySecond = Math.max(...canarySeconds);
    const share = (from: number, to: number) => {
      let canary = 0;
      let all = 0;
      for (const b of result.byBackend!)
        if (b.second >= from && b.second < to)
          for (const [k, n] of Object.entries(b.counts)) {
            all += n;
            if (k === 'InferencePool/llm-canary-pool') canary += n;
          }
      return all ? Math.round((canary / all) * 1000) / 10 : 0;
    };
    return {
      case: 'slow canary (TTFT × 2), gate 1.5 × stable',
      pausedAfterMs: pauseMs,
      pausedAfterIntervals: Math.round((pauseMs / INTERVAL_MS) * 100) / 100,
      checksWithTrafficUntilPause: paused.checks.filter(
        c => (c.requests ?? 0) > 0,
      ).length,
      breach: paused.reason,
      canarySharePercentBeforeRollback: share(0, Math.floor(rollbackSecond)),
      routeStableOnlyAfterMs: routeMs,
      // Requests are counted by the second they were sent: the last second with a canary answer, relative to the
      // rollback command.
      lastCanaryRequestSecondsAfterRollback:
        Math.round((lastCanarySecond + 1 - rollbackSecond) * 10) / 10,
      canarySharePercentAfterRollback: share(
        Math.ceil(rollbackSecond + routeMs / 1000),
        Infinity,
      ),
      requests: result.sent,
      failed: result.failed,
    };
  } finally {
    await harness.close();
  }
}

async function main() {
  const load = os.loadavg()[0];
  const slow: any[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await runCase('slow');
    console.log(JSON.stringify(r));
    slow.push(r);
  }
  const healthy = await runCase('healthy');
  console.log(JSON.stringify(healthy));
  const out = {
    when: new Date().toISOString(),
    machine: `${os.cpus().length} cores, load average ${load.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`,
    metricIntervalMs: INTERVAL_MS,
    targets: {
      pauseWithinIntervals: 2,
      rollbackWithinMs: 5000,
    },
    summary: {
      worstPauseIntervals: Math.max(...slow.map(s => s.pausedAfterIntervals)),
      worstRouteStableOnlyMs: Math.max(
        ...slow.map(s => s.routeStableOnlyAfterMs),
      ),
      worstLastCanaryRequestSecondsAfterRollback: Math.max(
        ...slow.map(s => s.lastCanaryRequestSecondsAfterRollback),
      ),
      healthyFalsePauses: healthy.breaches,
    },
    slow,
    healthy,
  };
  const file = path.join(__dirname, 'results', 'canary.json');
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out.summary, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
