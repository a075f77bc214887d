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
 * Benchmark of the REST views served from the informer caches (issue 9 "Reads from the caches"): latency p50 / p95 /
 * p99 of GET /services, a small service's detail and a 64-pod service's detail at 1, 10 and 50 concurrent users
 * with 100 services, each as a ratio to GET /health of the same backend at the same concurrency in the same run,
 * and API-server calls per view (want 0).
 *
 *   npm run bench:views      (BENCH_SERVICES=100, BENCH_CELL_SECONDS=2; writes bench/results/views.json)
 *
 * The plugin's router (route layer, zod contract, permission checks, views) runs in a bare express app with an
 * allow-all permission service and a fixed user, against the development cluster with its simulated controllers and
 * the reconciler managing every service; Backstage's own auth middleware is not part of the measurement.
 */

import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import express from 'express';
import { parse } from 'yaml';
import { startDevCluster } from '@fusioninfer/dev-cluster';
import {
  ClusterClient,
  createFusionInferClusters,
  KINDS,
} from '@fusioninfer/plugin-fusioninfer-node';
import { ClusterReconciler } from '../plugins/fusioninfer-backend/src/reconciler/ClusterReconciler';
import { ClusterCache } from '../plugins/fusioninfer-backend/src/cache/ClusterCache';
import { createCachedServiceViews } from '../plugins/fusioninfer-backend/src/views/ServiceViews';
import { createRouter } from '../plugins/fusioninfer-backend/src/http/router';

const N = Number(process.env.BENCH_SERVICES ?? 100);
const CELL_MS = Number(process.env.BENCH_CELL_SECONDS ?? 2) * 1000;
const USERS = [1, 10, 50];
const ROOT = path.resolve(__dirname, '..');
const example = (n: string) =>
  parse(fs.readFileSync(path.join(ROOT, 'examples', `${n}.yaml`), 'utf8'));
const logger: any = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child: () => logger,
};
/** API-server requests other than watches and leases: what a page view could cost. */
const reads = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(
      ([k]) =>
        k.includes(' ') && !k.startsWith('watch ') && !k.endsWith(' leases'),
    )
    .reduce((n, [, v]) => n + v, 0);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (x: number, d = 2) => Number(x.toFixed(d));

async function main() {
  // No simulated controllers (on a loaded shared machine they would dominate the run): the reconciler creates the
  // children, and the benchmark adds the pods and events the LWS controller and kubelet would.
  const dev = await startDevCluster({
    namespaces: ['demo', 'fusioninfer-system'],
    simulate: false,
  });
  const isvcType = dev.api.findType(
    'fusioninfer.io',
    'v1alpha1',
    'inferenceservices',
  )!;
  const small = example('monolithic-no-router');
  for (let i = 0; i < N - 1; i++)
    dev.api.create(
      isvcType,
      'demo',
      { ...small, metadata: { name: `svc-${i}`, namespace: 'demo' } },
      { fieldManager: 'bench' },
    );
  // The 64-pod service: a router and 8 replicas of 8 nodes.
  const big = example('multi-node-router');
  big.spec.roles[1].replicas = 8;
  big.spec.roles[1].multinode.nodeCount = 8;
  dev.api.create(
    isvcType,
    'demo',
    { ...big, metadata: { name: 'big', namespace: 'demo' } },
    { fieldManager: 'bench' },
  );

  const client = new ClusterClient({
    name: 'bench',
    url: dev.url,
    authProvider: 'serviceAccount',
    skipTLSVerify: true,
    mode: 'manage',
  });
  const clusters = createFusionInferClusters([client]);
  const cache = new ClusterCache(client, logger);
  const reconciler = new ClusterReconciler({
    client,
    cache,
    logger,
    workers: 8,
    resyncSeconds: 3600,
    leaderElection: false,
  });
  const caches = new Map([[client.name, cache]]);
  const reconcilers = new Map([[client.name, reconciler]]);
  const views = createCachedServiceViews({ clusters, caches, reconcilers });
  const allow = async (reqs: unknown[]) =>
    reqs.map(() => ({ result: 'ALLOW' as const }));
  const app = express();
  app.use(
    '/api/fusioninfer',
    await createRouter({
      logger,
      httpAuth: {
        credentials: async () => ({
          $$type: '@backstage/BackstageCredentials',
          principal: { type: 'user', userEntityRef: 'user:default/bench' },
        }),
      } as any,
      permissions: {
        authorize: allow,
        authorizeConditional: allow,
      } as any,
      clusters,
      reconcilers,
      source: views,
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise(r => server.once('listening', r));
  const port = (server.address() as { port: number }).port;

  const t0 = Date.now();
  await reconciler.start();
  const podType = dev.api.findType('', 'v1', 'pods')!;
  const withStatus = () =>
    dev.api
      .list(isvcType, 'demo')
      .items.filter(o => o.status?.conditions?.length).length;
  const settle = async (done: () => boolean, what: string) => {
    for (;;) {
      await Promise.race([
        reconciler.drained(),
        new Promise(r => setTimeout(r, 1000)),
      ]);
      if (done()) return;
      if (Date.now() - t0 > 180_000)
        throw new Error(`not converged after 180 s: ${what}`);
      await new Promise(r => setTimeout(r, 200));
    }
  };
  await settle(() => withStatus() === N, 'services with a status');
  // Pods of every LeaderWorkerSet (leader + workers), Running and Ready, owned by their LWS, with a few events.
  for (const lws of cache.list<any>(KINDS.LeaderWorkerSet, 'demo')) {
    const size = lws.spec?.leaderWorkerTemplate?.size ?? 1;
    const labels =
      lws.spec?.leaderWorkerTemplate?.workerTemplate?.metadata?.labels ?? {};
    const idx = Number(lws.metadata.name.split('-').pop());
    for (let w = 0; w < size; w++) {
      const name =
        w === 0 ? `${lws.metadata.name}-0` : `${lws.metadata.name}-0-${w}`;
      dev.api.create(
        podType,
        'demo',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name,
            namespace: 'demo',
            labels: {
              ...labels,
              'fusioninfer.io/replica-index': String(idx),
              'leaderworkerset.sigs.k8s.io/name': lws.metadata.name,
              'leaderworkerset.sigs.k8s.io/worker-index': String(w),
            },
            ownerReferences: [
              {
                apiVersion: lws.apiVersion,
                kind: 'LeaderWorkerSet',
                name: lws.metadata.name,
                uid: lws.metadata.uid,
                controller: true,
              },
            ],
          },
          spec: {
            nodeName: `gpu-node-${w}`,
            containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.27.1' }],
          },
        },
        { fieldManager: 'bench' },
      );
      const created = dev.api.get(podType, 'demo', name);
      dev.api.update(
        podType,
        'demo',
        name,
        {
          ...created,
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'True' }],
            containerStatuses: [{ name: 'vllm', ready: true, restartCount: 0 }],
          },
        },
        { subresource: 'status', fieldManager: 'bench' },
      );
      dev.recordEvent(
        dev.api.get(podType, 'demo', name),
        'Normal',
        'Started',
        'Started container vllm',
      );
    }
  }
  await settle(
    () => cache.list(KINDS.Pod, 'demo', 'big').length === 64,
    'the 64 pods of the big service in the cache',
  );
  const convergeSeconds = (Date.now() - t0) / 1000;
  await new Promise(r => setTimeout(r, 2000));
  await reconciler.drained();

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const get = (p: string) =>
    new Promise<number>((resolve, reject) => {
      const start = process.hrtime.bigint();
      http
        .get({ host: '127.0.0.1', port, path: p, agent }, res => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200)
              reject(new Error(`${p} answered ${res.statusCode}`));
            else resolve(Number(process.hrtime.bigint() - start) / 1e6);
          });
        })
        .on('error', reject);
    });
  const targets: Record<string, string> = {
    health: '/api/fusioninfer/health',
    services: '/api/fusioninfer/services',
    smallDetail:
      '/api/fusioninfer/clusters/bench/namespaces/demo/services/svc-0',
    bigDetail: '/api/fusioninfer/clusters/bench/namespaces/demo/services/big',
  };
  const detail = JSON.parse(
    await new Promise<string>(resolve =>
      http.get(
        { host: '127.0.0.1', port, path: targets.bigDetail, agent },
        res => {
          let s = '';
          res.on('data', d => (s += d));
          res.on('end', () => resolve(s));
        },
      ),
    ),
  );
  const bigPods = detail.roles
    .flatMap((r: any) => r.replicas)
    .reduce((n: number, r: any) => n + r.pods.length, 0);

  const run = async (p: string, users: number) => {
    const latencies: number[] = [];
    const end = Date.now() + CELL_MS;
    await Promise.all(
      Array.from({ length: users }, async () => {
        while (Date.now() < end) latencies.push(await get(p));
      }),
    );
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length,
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      p99: pct(latencies, 99),
    };
  };
  const cells: any[] = [];
  const apiCalls: Record<string, number> = {};
  const requests: Record<string, number> = {};
  for (const users of USERS) {
    // warm-up
    await run(targets.health, users);
    const health = await run(targets.health, users);
    const row: any = { users, health: { ...health } };
    for (const view of ['services', 'smallDetail', 'bigDetail']) {
      const before = reads(dev.api.requestCounts);
      const r = await run(targets[view], users);
      apiCalls[view] =
        (apiCalls[view] ?? 0) + reads(dev.api.requestCounts) - before;
      requests[view] = (requests[view] ?? 0) + r.requests;
      row[view] = {
        ...r,
        ratioToHealth: {
          p50: round(r.p50 / health.p50),
          p95: round(r.p95 / health.p95),
          p99: round(r.p99 / health.p99),
        },
      };
    }
    for (const k of Object.keys(row))
      if (typeof row[k] === 'object')
        for (const q of ['p50', 'p95', 'p99']) row[k][q] = round(row[k][q], 2);
    cells.push(row);
    console.log(JSON.stringify(row));
  }
  agent.destroy();
  server.close();
  await reconciler.stop();
  await cache.stop();
  await dev.close();

  const results = {
    node: process.version,
    date: new Date().toISOString(),
    machine:
      'shared 2-core machine, other helpers running tests at the same time: absolute milliseconds are noisy; read the ratios to /health of the same run',
    loadAverageAtEnd: os.loadavg().map(x => round(x, 1)),
    cpus: os.cpus().length,
    services: N,
    bigServicePods: bigPods,
    cellSeconds: CELL_MS / 1000,
    convergeSeconds,
    latencyMs: cells,
    apiServerCallsPerView: Object.fromEntries(
      Object.keys(apiCalls).map(k => [
        k,
        {
          calls: apiCalls[k],
          requests: requests[k],
          perView: apiCalls[k] / requests[k],
        },
      ]),
    ),
  };
  const out = path.resolve(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'views.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log(JSON.stringify(results, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
