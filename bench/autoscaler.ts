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
 * Benchmark of the role autoscaler (issue 20) against the development cluster, with fusioninfer-loadgen shaping the
 * load as a square wave (high, then nothing, four periods): the acting autoscaler (1 s interval) scales the
 * InferenceService's role through the one writer; every second the spec's replicas are sampled. Recorded: the delay
 * from the signal crossing its target (load on) to the first decision and to the first scale-up, every change of the
 * replicas, the direction changes and the shortest time between two of them against the policy's stabilisation
 * window (the timescale is compressed: a 30 s window stands for the default 5 minutes).
 *
 *   npm run bench:autoscaler          (writes bench/results/autoscaler.json)
 */

import fs from 'fs';
import os from 'os';
import path from 'path';
import { runLoad, startDevCluster } from '@fusioninfer/dev-cluster';
import {
  AUTOSCALING_ANNOTATION,
  InferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { devClusterConfig, loadExample } from '@fusioninfer/test-utils';
import { startFusionInferTestBackend } from '@fusioninfer/test-utils/backend';
import { fusioninferPlugin } from '../plugins/fusioninfer-backend/src/plugin';

const WINDOW_S = Number(process.env.BENCH_WINDOW_SECONDS ?? 30);
const HALF_PERIOD_S = Number(process.env.BENCH_HALF_PERIOD_SECONDS ?? 20);
const PERIODS = Number(process.env.BENCH_PERIODS ?? 4);

async function main() {
  const load0 = os.loadavg().map(x => Number(x.toFixed(1)));
  const dev = await startDevCluster({ simulation: { podStartupDelayMs: 500 } });
  const client = new ClusterClient(devClusterConfig(dev.url));
  const backend = await startFusionInferTestBackend({
    plugin: fusioninferPlugin,
    cluster: dev,
    config: {
      reconciler: { leaseDurationSeconds: 1 },
      metrics: { minIntervalSeconds: 0, pollIntervalSeconds: 0 },
      autoscaler: { interval: '1s' },
    },
  });
  const policy = {
    inference: {
      minReplicas: 1,
      maxReplicas: 4,
      signal: 'waitingRequests',
      target: 1,
      mode: 'acting',
      scaleDownStabilizationSeconds: WINDOW_S,
      cooldownSeconds: 5,
    },
  };
  const svc = loadExample<InferenceService>('monolithic-no-router.yaml', {
    name: 'wave',
    namespace: 'default',
    annotations: { [AUTOSCALING_ANNOTATION]: JSON.stringify(policy) },
  });
  svc.spec.roles[0].replicas = 1;
  svc.spec.roles[0].template!.spec!.containers[0].args = [
    '--model',
    'Qwen/Qwen3-8B',
    '--max-num-seqs',
    '1',
  ];
  await client.apply(svc, { fieldManager: 'kubectl' });
  const replicas = async () =>
    (await client.get<InferenceService>(
      KINDS.InferenceService,
      'default',
      'wave',
    ))!.spec.roles[0].replicas ?? 1;
  const decided = async () => {
    const r = await backend.get(
      '/clusters/dev/namespaces/default/services/wave/autoscaling',
    );
    if (r.status !== 200 && process.env.BENCH_DEBUG)
      console.log(r.status, JSON.stringify(r.body).slice(0, 300));
    return r.status === 200 ? r.body : undefined;
  };
  // Ready and a first decision at rest.
  for (const end = Date.now() + 120_000; ;) {
    const a = await decided();
    if (a?.roles?.[0]?.next === 1) break;
    if (Date.now() > end)
      throw new Error(`no first decision: ${JSON.stringify(a)?.slice(0, 600)}`);
    await new Promise(r => setTimeout(r, 250));
  }
  const samples: Array<{ t: number; replicas: number }> = [
    { t: 0, replicas: await replicas() },
  ];
  const t0 = Date.now();
  const sampler = setInterval(async () => {
    samples.push({ t: (Date.now() - t0) / 1000, replicas: await replicas() });
  }, 1000);
  let firstRecommendationUp: number | undefined;
  const watcher = setInterval(async () => {
    const a = await decided();
    if (
      firstRecommendationUp === undefined &&
      (a?.roles?.[0]?.recommendation ?? 1) > 1
    )
      firstRecommendationUp = (Date.now() - t0) / 1000;
  }, 250);
  const loads: Array<{
    sent: number;
    errorRate: number;
    statuses: Record<string, number>;
  }> = [];
  for (let p = 0; p < PERIODS; p++) {
    const r = await runLoad({
      kubeConfig: client.kubeConfig,
      namespace: 'default',
      service: 'wave',
      rps: 6,
      durationSeconds: HALF_PERIOD_S,
      maxTokens: 48,
    });
    loads.push({ sent: r.sent, errorRate: r.errorRate, statuses: r.statuses });
    await new Promise(r2 => setTimeout(r2, HALF_PERIOD_S * 1000));
  }
  clearInterval(sampler);
  clearInterval(watcher);
  await backend.stop();
  await dev.close();
  // Changes of the spec's replicas and their directions.
  const changes: Array<{ t: number; from: number; to: number }> = [];
  for (let i = 1; i < samples.length; i++)
    if (samples[i].replicas !== samples[i - 1].replicas)
      changes.push({
        t: samples[i].t,
        from: samples[i - 1].replicas,
        to: samples[i].replicas,
      });
  const reversals: number[] = [];
  for (let i = 1; i < changes.length; i++) {
    const before = Math.sign(changes[i - 1].to - changes[i - 1].from);
    const now = Math.sign(changes[i].to - changes[i].from);
    if (before !== now) reversals.push(changes[i].t);
  }
  const gaps = reversals.slice(1).map((t, i) => t - reversals[i]);
  const firstUp = changes.find(c => c.to > c.from);
  const results = {
    node: process.version,
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    loadAverageAtStart: load0,
    loadAverageAtEnd: os.loadavg().map(x => Number(x.toFixed(1))),
    setup: `development cluster in process; the backend plugin with the autoscaler acting every 1 s; load from runLoad (fusioninfer-loadgen) as a square wave: ${PERIODS} periods of ${HALF_PERIOD_S} s at 6 requests/s then ${HALF_PERIOD_S} s of nothing; the spec's replicas sampled every 1 s`,
    policy: policy.inference,
    stabilisationWindowSeconds: WINDOW_S,
    firstRecommendationUpSecondsAfterLoadOn: firstRecommendationUp,
    firstScaleUpSecondsAfterLoadOn: firstUp?.t,
    changes,
    directionChanges: reversals.length,
    shortestSecondsBetweenDirectionChanges: gaps.length
      ? Math.min(...gaps)
      : null,
    atMostOneDirectionChangePerWindow: gaps.every(g => g >= WINDOW_S),
    maxReplicasSeen: Math.max(...samples.map(s => s.replicas)),
    load: loads,
  };
  fs.writeFileSync(
    path.resolve(__dirname, 'results/autoscaler.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log(JSON.stringify(results, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
