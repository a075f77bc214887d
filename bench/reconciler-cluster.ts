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
 * One development cluster for bench/reconciler.ts, in a process of its own (forked by the benchmark): the benchmark
 * reaches it over HTTP as it would a real cluster, so the benchmark's heap holds only reconcilers and caches and the
 * API server does not compete with them for one core. The services are seeded here, in process (fast).
 *
 * Messages from the benchmark: { id, op: 'counts' | 'converged' | 'cpu' | 'close' }; each is answered { id, value }.
 * Started with BENCH_CLUSTER_SERVICES (how many services to seed) and BENCH_TEMPLATE (the service YAML file).
 */

import fs from 'fs';
import { parse } from 'yaml';
import { startDevCluster } from '@fusioninfer/dev-cluster';

async function main() {
  const services = Number(process.env.BENCH_CLUSTER_SERVICES ?? 0);
  const template = parse(fs.readFileSync(process.env.BENCH_TEMPLATE!, 'utf8'));
  const dev = await startDevCluster({
    port: 0,
    simulate: false,
    eventWindow: 200000,
  });
  const isvcType = dev.api.findType(
    'fusioninfer.io',
    'v1alpha1',
    'inferenceservices',
  )!;
  for (let i = 0; i < services; i++)
    dev.api.create(
      isvcType,
      'demo',
      { ...template, metadata: { name: `svc-${i}`, namespace: 'demo' } },
      { fieldManager: 'bench' },
    );
  const answer: Record<string, () => unknown> = {
    // requests served so far, by verb (the "verb plural" keys are dropped by the benchmark)
    counts: () => ({ ...dev.api.requestCounts }),
    // services whose status the reconciler has written
    converged: () =>
      dev.api
        .list(isvcType, 'demo')
        .items.filter(o => o.status?.conditions?.length).length,
    cpu: () => process.cpuUsage(),
  };
  process.on('message', async (m: { id: number; op: string }) => {
    if (m.op === 'close') {
      await dev.close();
      process.send!({ id: m.id, value: true }, () => process.exit(0));
      return;
    }
    process.send!({ id: m.id, value: answer[m.op]?.() });
  });
  process.send!({ ready: true, url: dev.url });
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
