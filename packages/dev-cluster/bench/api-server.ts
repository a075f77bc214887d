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
 * Benchmark of the development API server with 10,000 objects: requests/s for GET, LIST (paged by 500) and
 * server-side apply over HTTP, watch fan-out (events delivered/s to 50 watchers), and memory. A /healthz request
 * rate measured in the same run is the yardstick, so figures can be compared across machines as ratios.
 *
 *   npm run bench:dev-cluster      (writes bench/results/dev-cluster.json at the repository root)
 */

import fs from 'fs';
import path from 'path';
import { startDevCluster } from '../src';

const N = Number(process.env.BENCH_OBJECTS ?? 10000);
const CONCURRENCY = 16;

async function rate(
  seconds: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) await fn(n++);
    }),
  );
  return n / ((Date.now() - start) / 1000);
}

async function main() {
  const mem0 = process.memoryUsage();
  const dev = await startDevCluster({ simulate: false, eventWindow: 20000 });
  const cmT = dev.api.findType('', 'v1', 'configmaps')!;
  global.gc?.();
  const memBefore = process.memoryUsage();
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    dev.api.create(
      cmT,
      'demo',
      {
        metadata: {
          name: `cm-${i}`,
          labels: { shard: String(i % 10), app: 'bench' },
        },
        data: { key: `value-${i}`, payload: 'x'.repeat(200) },
      },
      { fieldManager: 'bench' },
    );
  }
  const loadSeconds = (Date.now() - t0) / 1000;
  global.gc?.();
  const memAfter = process.memoryUsage();
  const base = `${dev.url}/api/v1/namespaces/demo/configmaps`;
  const get = (url: string) => fetch(url).then(r => r.arrayBuffer());

  const healthz = await rate(3, () => get(`${dev.url}/healthz`));
  const getRps = await rate(3, i => get(`${base}/cm-${i % N}`));
  const listStart = Date.now();
  let pages = 0;
  let items = 0;
  for (let round = 0; round < 3; round++) {
    let cont: string | undefined;
    do {
      const r = await (
        await fetch(`${base}?limit=500${cont ? `&continue=${cont}` : ''}`)
      ).json();
      pages++;
      items += r.items.length;
      cont = r.metadata.continue;
    } while (cont);
  }
  const listSeconds = (Date.now() - listStart) / 1000;
  const selectorRps = await rate(2, i =>
    get(`${base}?labelSelector=shard%3D${i % 10}&limit=50`),
  );
  const applyRps = await rate(3, i =>
    fetch(`${base}/cm-${i % N}?fieldManager=bench-apply&force=true`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${i % N}`, namespace: 'demo' },
        data: { applied: String(i) },
      }),
    }).then(r => r.arrayBuffer()),
  );

  // Watch fan-out: 50 watchers, 500 updates.
  const WATCHERS = 50;
  const UPDATES = 500;
  let received = 0;
  const controllers: AbortController[] = [];
  const rv = dev.api.resourceVersion;
  await Promise.all(
    Array.from({ length: WATCHERS }, async () => {
      const ac = new AbortController();
      controllers.push(ac);
      const res = await fetch(`${base}?watch=true&resourceVersion=${rv}`, {
        signal: ac.signal,
      });
      const reader = res.body!.getReader();
      (async () => {
        let buf = '';
        for (;;) {
          const { value, done } = await reader
            .read()
            .catch(() => ({ value: undefined, done: true }));
          if (done) return;
          buf += Buffer.from(value!).toString('utf8');
          for (let idx = buf.indexOf('\n'); idx >= 0; idx = buf.indexOf('\n')) {
            buf = buf.slice(idx + 1);
            received++;
          }
        }
      })();
    }),
  );
  const w0 = Date.now();
  for (let i = 0; i < UPDATES; i++)
    dev.api.patch(
      cmT,
      'demo',
      `cm-${i}`,
      'application/merge-patch+json',
      { data: { watched: String(i) } },
      { fieldManager: 'bench' },
    );
  while (received < WATCHERS * UPDATES && Date.now() - w0 < 60000)
    await new Promise(r => setTimeout(r, 5));
  const watchSeconds = (Date.now() - w0) / 1000;
  controllers.forEach(c => c.abort());
  global.gc?.();
  const memEnd = process.memoryUsage();
  await dev.close();

  const mb = (b: number) => Number((b / 1048576).toFixed(1));
  const results = {
    node: process.version,
    date: new Date().toISOString(),
    objects: N,
    concurrency: CONCURRENCY,
    yardstickHealthzPerSecond: Math.round(healthz),
    getPerSecond: Math.round(getRps),
    getToHealthzRatio: Number((getRps / healthz).toFixed(3)),
    listPagesPerSecond: Math.round(pages / listSeconds),
    listObjectsPerSecond: Math.round(items / listSeconds),
    selectorListPerSecond: Math.round(selectorRps),
    serverSideApplyPerSecond: Math.round(applyRps),
    applyToHealthzRatio: Number((applyRps / healthz).toFixed(3)),
    inProcessCreatesPerSecond: Math.round(N / loadSeconds),
    watch: {
      watchers: WATCHERS,
      updates: UPDATES,
      eventsDelivered: received,
      eventsPerSecond: Math.round(received / watchSeconds),
    },
    memory: {
      heapUsedBeforeMiB: mb(memBefore.heapUsed),
      heapUsedWith10kMiB: mb(memAfter.heapUsed),
      heapPerObjectKiB: Number(
        ((memAfter.heapUsed - memBefore.heapUsed) / N / 1024).toFixed(2),
      ),
      rssStartMiB: mb(mem0.rss),
      rssWith10kMiB: mb(memAfter.rss),
      rssEndMiB: mb(memEnd.rss),
    },
  };
  const out = path.resolve(__dirname, '../../../bench/results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(
    path.join(out, 'dev-cluster.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log(JSON.stringify(results, null, 2));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
