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
 * Benchmark of the reconciler against the development cluster: time and API calls (by verb) to converge N
 * InferenceServices from empty, API calls during a steady-state window (target: zero writes), API calls for one
 * spec change, and heap of the informer caches.
 *
 *   npm run bench:reconciler        (BENCH_SERVICES=500 by default; writes bench/results/reconciler.json)
 */

import fs from 'fs';
import os from 'os';
import path from 'path';
import { parse } from 'yaml';
import { startDevCluster } from '@fusioninfer/dev-cluster';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { ClusterReconciler } from '../plugins/fusioninfer-backend/src/reconciler/ClusterReconciler';

const N = Number(process.env.BENCH_SERVICES ?? 500);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
const logger: any = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child: () => logger,
};
const writes = (c: Record<string, number>) =>
  (c.create ?? 0) + (c.update ?? 0) + (c.patch ?? 0) + (c.delete ?? 0);
const diff = (a: Record<string, number>, b: Record<string, number>) => {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
    if (!k.includes(' ') && (b[k] ?? 0) - (a[k] ?? 0) > 0)
      out[k] = (b[k] ?? 0) - (a[k] ?? 0);
  return out;
};

async function main() {
  const dev = await startDevCluster({ simulate: false, eventWindow: 200000 });
  const client = new ClusterClient({
    name: 'bench',
    url: dev.url,
    authProvider: 'serviceAccount',
    skipTLSVerify: true,
    mode: 'manage',
  });
  const template = parse(
    fs.readFileSync(
      path.resolve(__dirname, '../examples/single-node-router-2-replicas.yaml'),
      'utf8',
    ),
  );
  const isvcType = dev.api.findType(
    'fusioninfer.io',
    'v1alpha1',
    'inferenceservices',
  )!;
  for (let i = 0; i < N; i++)
    dev.api.create(
      isvcType,
      'demo',
      { ...template, metadata: { name: `svc-${i}`, namespace: 'demo' } },
      { fieldManager: 'bench' },
    );
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const reconciler = new ClusterReconciler({
    client,
    logger,
    workers: 8,
    baseDelayMs: 50,
    resyncSeconds: 3600,
    leaderElection: false,
  });
  const calls0 = { ...dev.api.requestCounts };
  const t0 = Date.now();
  await reconciler.start();
  // Converged: every service has its status written with the final children.
  for (;;) {
    await reconciler.drained();
    const withStatus = dev.api
      .list(isvcType, 'demo')
      .items.filter(o => o.status?.conditions?.length).length;
    if (withStatus === N) break;
    await new Promise(r => setTimeout(r, 100));
  }
  await reconciler.drained();
  const convergeSeconds = (Date.now() - t0) / 1000;
  const calls1 = { ...dev.api.requestCounts };
  global.gc?.();
  const heap1 = process.memoryUsage().heapUsed;

  // Steady state: a full resync of every service, then a quiet window.
  reconciler.enqueueAll();
  await reconciler.drained();
  await new Promise(r => setTimeout(r, STEADY_SECONDS * 1000));
  await reconciler.drained();
  const calls2 = { ...dev.api.requestCounts };

  // One spec change: scale one service from 2 to 3 replicas.
  const svc = await client.get<any>(KINDS.InferenceService, 'demo', 'svc-0');
  svc.spec.roles[1].replicas = 3;
  const calls3a = { ...dev.api.requestCounts };
  const stats3a = { ...reconciler.stats };
  await client.mergePatch(KINDS.InferenceService, 'demo', 'svc-0', {
    spec: svc.spec,
  });
  await new Promise(r => setTimeout(r, 500));
  await reconciler.drained();
  const calls3 = { ...dev.api.requestCounts };
  await reconciler.stop();
  await dev.close();

  const results = {
    node: process.version,
    date: new Date().toISOString(),
    loadAverageAtEnd: os.loadavg().map(x => Number(x.toFixed(1))),
    cpus: os.cpus().length,
    services: N,
    childrenPerService: renderInferenceService({
      ...template,
      metadata: { name: 'x', namespace: 'demo' },
    }).children.length,
    converge: {
      seconds: convergeSeconds,
      servicesPerSecond: Number((N / convergeSeconds).toFixed(1)),
      apiCalls: diff(calls0, calls1),
      writesPerService: Number((writes(diff(calls0, calls1)) / N).toFixed(2)),
    },
    steadyState: {
      windowSeconds: STEADY_SECONDS,
      includesFullResync: true,
      apiCalls: diff(calls1, calls2),
      writes: writes(diff(calls1, calls2)),
    },
    oneSpecChange: {
      apiCalls: diff(calls3a, calls3),
      writes: writes(diff(calls3a, calls3)),
      note: "includes the benchmark's own merge patch of the spec",
      reconciler: {
        applies: reconciler.stats.applies - stats3a.applies,
        statusWrites: reconciler.stats.statusWrites - stats3a.statusWrites,
        deletes: reconciler.stats.deletes - stats3a.deletes,
      },
    },
    reconcilerStats: reconciler.stats,
    informerCacheHeapMiB: Number(((heap1 - heap0) / 1048576).toFixed(1)),
  };
  const out = path.resolve(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'reconciler.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log(JSON.stringify(results, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
