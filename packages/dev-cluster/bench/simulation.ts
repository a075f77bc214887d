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
 * Simulation benchmark: N router services (the children the controller renders for monolithic-router-qwen: an LWS
 * with a model server, the EPP Deployment, Services, RBAC, ConfigMap, InferencePool, HTTPRoute) applied at once to
 * a development cluster with the simulation running; measures the time until every LWS is Available and every EPP
 * Deployment available, the GET latency of the API server meanwhile and at steady state, the simulation's CPU share,
 * and model-server metrics through the pod proxy. Results go to bench/results/dev-cluster-simulation.json.
 * Usage: npm run bench:dev-cluster-sim (BENCH_SERVICES=200).
 */

import fs from 'fs';
import path from 'path';
import { renderInferenceService } from '@fusioninfer/plugin-fusioninfer-common';
import { startDevCluster } from '../src';

const N = Number(process.env.BENCH_SERVICES ?? 200);
const EXAMPLE = path.resolve(
  __dirname,
  '../../../examples/monolithic-router-qwen.yaml',
);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
    : 0;
};

async function main() {
  const { parse } = await import('yaml');
  const base = parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const dev = await startDevCluster({
    nodes: Array.from({ length: Math.ceil(N / 8) + 1 }, (_, i) => ({
      name: `gpu-node-${i}`,
      gpus: 8,
    })),
    simulation: { podStartupDelayMs: 3000 },
  });
  const t = (g: string, v: string, p: string) => dev.api.findType(g, v, p)!;
  const lwsT = t('leaderworkerset.x-k8s.io', 'v1', 'leaderworkersets');
  const depT = t('apps', 'v1', 'deployments');
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  for (let i = 0; i < N; i++) {
    const isvc = {
      ...base,
      metadata: { ...base.metadata, name: `svc-${i}`, namespace: 'demo' },
    };
    for (const child of renderInferenceService(isvc, { namespace: 'demo' })
      .children) {
      const ct = dev.api.typeForObject(child)!;
      dev.api.patch(
        ct,
        'demo',
        child.metadata.name!,
        'application/apply-patch+yaml',
        child,
        {
          fieldManager: 'fusioninfer',
          force: true,
        },
      );
    }
  }
  const appliedMs = Date.now() - start;
  const latencies: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const i = Math.floor(Math.random() * N);
      const t0 = performance.now();
      await fetch(
        `${dev.url}/apis/apps/v1/namespaces/demo/deployments/svc-${i}-epp`,
      ).then(r => r.arrayBuffer());
      latencies.push(performance.now() - t0);
      if (process.env.SIM_DEBUG && performance.now() - t0 > 300)
        process.stderr.write(
          `slow GET ${(performance.now() - t0).toFixed(0)} ms ending at +${Date.now() - start} ms\n`,
        );
      await new Promise(r => setTimeout(r, 20));
    }
  })();
  let convergedMs = -1;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const lws = dev.api.list(lwsT, 'demo').items;
    const deps = dev.api.list(depT, 'demo').items;
    const ready =
      lws.filter(l =>
        l.status?.conditions?.some(
          (c: any) => c.type === 'Available' && c.status === 'True',
        ),
      ).length +
      deps.filter(
        d => (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1),
      ).length;
    if (lws.length === N && deps.length === N && ready === 2 * N) {
      convergedMs = Date.now() - start;
      break;
    }
    await new Promise(r => setTimeout(r, 100));
  }
  const convergeLatencies = latencies.splice(0);
  const cpuConverge = process.cpuUsage(cpu0);
  // steady state: 10 s with every pod running
  const cpu1 = process.cpuUsage();
  const steadyStart = Date.now();
  await new Promise(r => setTimeout(r, 10_000));
  const steadyCpu = process.cpuUsage(cpu1);
  const steadyLatencies = latencies.splice(0);
  const steadySeconds = (Date.now() - steadyStart) / 1000;
  probing = false;
  await probe;
  const metrics = await fetch(
    `${dev.url}/api/v1/namespaces/demo/pods/svc-0-inference-0-0:8000/proxy/metrics`,
  );
  const result = {
    node: process.version,
    date: new Date().toISOString(),
    services: N,
    pods: dev.api.list(t('', 'v1', 'pods'), 'demo').items.length,
    appliedMs,
    convergedSeconds: convergedMs < 0 ? null : +(convergedMs / 1000).toFixed(1),
    cpuShareWhileConverging: +(
      (cpuConverge.user + cpuConverge.system) /
      1000 /
      Math.max(1, convergedMs)
    ).toFixed(3),
    getMsWhileConverging: {
      p50: +percentile(convergeLatencies, 50).toFixed(1),
      p99: +percentile(convergeLatencies, 99).toFixed(1),
      samples: convergeLatencies.length,
    },
    steadyState: {
      cpuShare: +(
        (steadyCpu.user + steadyCpu.system) /
        1e6 /
        steadySeconds
      ).toFixed(3),
      getMsP50: +percentile(steadyLatencies, 50).toFixed(1),
      getMsP99: +percentile(steadyLatencies, 99).toFixed(1),
    },
    modelServerMetricsStatus: metrics.status,
  };
  await dev.close();
  const out = path.resolve(
    __dirname,
    '../../../bench/results/dev-cluster-simulation.json',
  );
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
