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
 * Benchmark of the reconciler against development clusters, each in a process of its own (bench/reconciler-cluster.ts)
 * reached over HTTP as a real cluster is: time and API calls (by verb) to converge N InferenceServices from empty,
 * API calls during a steady-state window after a full resync (target: zero writes), API calls for one spec change,
 * and the heap of this process (reconcilers and informer caches only: the API servers' stores are elsewhere).
 *
 *   npm run bench:reconciler
 *     runs two cases, 500 services in 1 cluster and 2,000 services spread over 3 clusters, and writes
 *     bench/results/reconciler.json
 *   BENCH_SERVICES=N BENCH_CLUSTERS=C npm run bench:reconciler
 *     runs that one case and only prints it (BENCH_WRITE=1 writes it as the file's only case)
 *   BENCH_STEADY_SECONDS (default 30): the quiet window after the full resync
 *   BENCH_WORKERS, BENCH_REQUEST_CONCURRENCY: reconciler settings (default: the plugin's, 4 and 16)
 *   BENCH_HEAP_SNAPSHOT=FILE: writes a heap snapshot of this process once converged (what the heap figure holds)
 */

import { ChildProcess, fork } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import v8 from 'v8';
import { parse } from 'yaml';
import { ClusterClient, KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import {
  ClusterReconciler,
  DEFAULT_REQUEST_CONCURRENCY,
  DEFAULT_WORKERS,
  ReconcilerStats,
} from '../plugins/fusioninfer-backend/src/reconciler/ClusterReconciler';

const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
const optionalNumber = (v: string | undefined) =>
  v === undefined ? undefined : Number(v);
const WORKERS = optionalNumber(process.env.BENCH_WORKERS);
const REQUEST_CONCURRENCY = optionalNumber(
  process.env.BENCH_REQUEST_CONCURRENCY,
);
const TEMPLATE = path.resolve(
  __dirname,
  '../examples/single-node-router-2-replicas.yaml',
);
const logger: any = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child: () => logger,
};
type Counts = Record<string, number>;
const WRITE_VERBS = ['create', 'update', 'patch', 'delete'];
const writes = (c: Counts) =>
  WRITE_VERBS.reduce((sum, v) => sum + (c[v] ?? 0), 0);
/** Requests by verb made between two readings (the per-resource "verb plural" keys are left out). */
const diff = (a: Counts, b: Counts) => {
  const out: Counts = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
    if (!k.includes(' ') && (b[k] ?? 0) - (a[k] ?? 0) > 0)
      out[k] = (b[k] ?? 0) - (a[k] ?? 0);
  return out;
};
const sum = (list: Counts[]) => {
  const out: Counts = {};
  for (const c of list)
    for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
};
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const mib = (bytes: number) => Number((bytes / 1048576).toFixed(1));
const load = () => os.loadavg().map(x => Number(x.toFixed(2)));

/** A development cluster in a child process, asked over IPC what it served. */
class ClusterProcess {
  private next = 0;
  private readonly pending = new Map<number, (v: any) => void>();
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (m: any) => {
      if (m.id === undefined) return;
      this.pending.get(m.id)?.(m.value);
      this.pending.delete(m.id);
    });
  }

  static start(services: number): Promise<ClusterProcess> {
    const child = fork(path.join(__dirname, 'reconciler-cluster.ts'), [], {
      env: {
        ...process.env,
        BENCH_CLUSTER_SERVICES: String(services),
        BENCH_TEMPLATE: TEMPLATE,
      },
    });
    return new Promise((resolve, reject) => {
      child.once('exit', code =>
        reject(new Error(`cluster process exited (${code})`)),
      );
      child.on('message', (m: any) => {
        if (m.ready) resolve(new ClusterProcess(child, m.url));
      });
    });
  }

  ask<T>(op: string): Promise<T> {
    const id = this.next++;
    return new Promise(resolve => {
      this.pending.set(id, resolve);
      this.child.send({ id, op });
    });
  }

  async close() {
    this.child.removeAllListeners('exit');
    await this.ask('close');
  }
}

async function runCase(services: number, clusters: number) {
  const loadAtStart = load();
  const per = Array.from(
    { length: clusters },
    (_, i) =>
      Math.floor(services / clusters) + (i < services % clusters ? 1 : 0),
  );
  const procs = await Promise.all(per.map(n => ClusterProcess.start(n)));
  const counts = async () =>
    Promise.all(procs.map(p => p.ask<Counts>('counts')));
  global.gc?.();
  await sleep(200);
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const clients = procs.map(
    (p, i) =>
      new ClusterClient({
        name: `bench-${i}`,
        url: p.url,
        authProvider: 'serviceAccount',
        skipTLSVerify: true,
        mode: 'manage',
      }),
  );
  const reconcilers = clients.map(
    client =>
      new ClusterReconciler({
        client,
        logger,
        // the plugin's defaults unless given (fusioninfer.reconciler.workers / requestConcurrency)
        workers: WORKERS,
        requestConcurrency: REQUEST_CONCURRENCY,
        baseDelayMs: 50,
        resyncSeconds: 3600,
        leaderElection: false,
      }),
  );
  const calls0 = await counts();
  const cpu0 = process.cpuUsage();
  const serverCpu0 = await Promise.all(procs.map(p => p.ask<any>('cpu')));
  const t0 = Date.now();
  await Promise.all(reconcilers.map(r => r.start()));
  // Converged: every service has its status written with the final children.
  for (;;) {
    await Promise.all(reconcilers.map(r => r.drained()));
    const done = await Promise.all(procs.map(p => p.ask<number>('converged')));
    if (done.every((n, i) => n === per[i])) break;
    await sleep(100);
  }
  await Promise.all(reconcilers.map(r => r.drained()));
  const convergeSeconds = (Date.now() - t0) / 1000;
  const cpu1 = process.cpuUsage(cpu0);
  const serverCpu1 = await Promise.all(procs.map(p => p.ask<any>('cpu')));
  const calls1 = await counts();
  global.gc?.();
  await sleep(200);
  global.gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  if (process.env.BENCH_HEAP_SNAPSHOT)
    v8.writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);

  // Steady state: a full resync of every service, then a quiet window.
  for (const r of reconcilers) r.enqueueAll();
  await Promise.all(reconcilers.map(r => r.drained()));
  await sleep(STEADY_SECONDS * 1000);
  await Promise.all(reconcilers.map(r => r.drained()));
  const calls2 = await counts();

  // One spec change: scale one service from 2 to 3 replicas.
  const client = clients[0];
  const reconciler = reconcilers[0];
  const svc = await client.get<any>(KINDS.InferenceService, 'demo', 'svc-0');
  svc.spec.roles[1].replicas = 3;
  const calls3a = (await counts())[0];
  const stats3a = { ...reconciler.stats };
  await client.mergePatch(KINDS.InferenceService, 'demo', 'svc-0', {
    spec: svc.spec,
  });
  await sleep(500);
  await reconciler.drained();
  const calls3 = (await counts())[0];
  const stats = reconcilers.map(r => ({ ...r.stats }));
  await Promise.all(reconcilers.map(r => r.stop()));
  await Promise.all(procs.map(p => p.close()));

  const converge = sum(calls0.map((c, i) => diff(c, calls1[i])));
  const steady = sum(calls1.map((c, i) => diff(c, calls2[i])));
  const cpuSeconds = (c: { user: number; system: number }) =>
    Number(((c.user + c.system) / 1e6).toFixed(1));
  return {
    services,
    clusters,
    servicesPerCluster: per,
    reconciler: {
      workers: WORKERS ?? DEFAULT_WORKERS,
      requestConcurrency: REQUEST_CONCURRENCY ?? DEFAULT_REQUEST_CONCURRENCY,
    },
    childrenPerService: renderInferenceService({
      ...parse(fs.readFileSync(TEMPLATE, 'utf8')),
      metadata: { name: 'x', namespace: 'demo' },
    }).children.length,
    loadAverage: { atStart: loadAtStart, atEnd: load() },
    converge: {
      seconds: convergeSeconds,
      servicesPerSecond: Number((services / convergeSeconds).toFixed(1)),
      apiCalls: converge,
      writesPerService: Number((writes(converge) / services).toFixed(2)),
      cpuSeconds: {
        benchmark: cpuSeconds(cpu1),
        apiServers: serverCpu1.map((c, i) =>
          cpuSeconds({
            user: c.user - serverCpu0[i].user,
            system: c.system - serverCpu0[i].system,
          }),
        ),
      },
    },
    steadyState: {
      windowSeconds: STEADY_SECONDS,
      includesFullResync: true,
      apiCalls: steady,
      writes: writes(steady),
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
    reconcilerStats: stats.reduce(
      (a, s) =>
        Object.fromEntries(
          Object.entries(s).map(([k, v]) => [
            k,
            (a[k as keyof ReconcilerStats] ?? 0) + v,
          ]),
        ) as unknown as ReconcilerStats,
      {} as ReconcilerStats,
    ),
    heap: {
      reconcilersAndCachesMiB: mib(heap1 - heap0),
      perThousandServicesMiB: mib(((heap1 - heap0) / services) * 1000),
    },
  };
}

async function main() {
  const single = process.env.BENCH_SERVICES || process.env.BENCH_CLUSTERS;
  const plan = single
    ? [
        {
          services: Number(process.env.BENCH_SERVICES ?? 500),
          clusters: Number(process.env.BENCH_CLUSTERS ?? 1),
        },
      ]
    : [
        { services: 500, clusters: 1 },
        { services: 2000, clusters: 3 },
      ];
  const cases = [];
  for (const c of plan) {
    const result = await runCase(c.services, c.clusters);
    console.log(JSON.stringify(result, null, 2));
    cases.push(result);
  }
  const results = {
    node: process.version,
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    setup:
      'each development cluster (no simulated controllers) in a child process of its own, reached over HTTP; the heap is the benchmark process only (reconcilers and informer caches), measured after gc',
    loadAverage:
      'os.loadavg() (1, 5, 15 min) at the start and end of each case: the machine may be shared, and a load above 0 before the run is other work',
    cases,
  };
  if (!single || process.env.BENCH_WRITE === '1') {
    const out = path.resolve(__dirname, 'results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
      path.join(out, 'reconciler.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
