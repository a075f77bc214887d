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
 * Benchmark of GPU-safe rollouts (issue 19) on the development cluster: an image change on a 4-replica role of
 * 2-node replicas (8 pods of 1 GPU), once with the default policy (one replica down at a time) and once with
 * maxSurge 1 / maxUnavailable 0, and for comparison all at once (maxUnavailable 4: what every spec change did before).
 * Every second: the replicas whose pods are all Ready, and the GPUs the service's pods
 * hold beyond its size (surge in flight). Throughout: completions sent ten times a second to a leader pod that is
 * Ready at that moment (as a gateway routes), through the API server's pod proxy; the error rate is recorded.
 *
 *   npm run bench:rollout            (writes bench/results/rollout.json)
 */

import fs from 'fs';
import os from 'os';
import path from 'path';
import { KINDS } from '@fusioninfer/plugin-fusioninfer-node';
import { ROLLOUT_ANNOTATION } from '@fusioninfer/plugin-fusioninfer-common';
import { startReconciledDevCluster } from '../plugins/fusioninfer-backend/src/__testUtils__/canaryHarness';

const logger: any = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child: () => logger,
};
const REPLICAS = 4;
const NODES = 2;
const STARTUP_MS = Number(process.env.BENCH_STARTUP_MS ?? 2000);

async function runCase(
  label: string,
  policy: Record<string, unknown> | undefined,
  /** GPUs the team project may still add in the cluster (its quota minus what its services hold); none: no quota. */
  quotaLeft?: number,
) {
  const { dev, client, close } = await startReconciledDevCluster(
    { simulation: { podStartupDelayMs: STARTUP_MS } },
    logger,
    // The one writer's answer for a team project (ServiceWriter.quotaLeft), fixed for the run.
    quotaLeft !== undefined ? { quotaLeft: async () => quotaLeft } : {},
  );
  const name = 'roll';
  const svc: any = {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: 'default',
      ...(policy
        ? {
            annotations: {
              [ROLLOUT_ANNOTATION]: JSON.stringify({ inference: policy }),
            },
          }
        : {}),
    },
    spec: {
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          replicas: REPLICAS,
          multinode: { nodeCount: NODES },
          template: {
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image: 'vllm/vllm-openai:v0.27.1',
                  args: [
                    '--model',
                    'Qwen/Qwen3-8B',
                    '--pipeline-parallel-size',
                    '2',
                  ],
                  resources: { limits: { 'nvidia.com/gpu': '1' } },
                },
              ],
            },
          },
        },
      ],
    },
  };
  await client.apply(svc, { fieldManager: 'kubectl' });
  const podsT = dev.api.findType('', 'v1', 'pods')!;
  const lwsT = dev.api.findType(
    'leaderworkerset.x-k8s.io',
    'v1',
    'leaderworkersets',
  )!;
  const observe = (image: string) => {
    const pods = (dev.api.list(podsT, 'default').items as any[]).filter(
      p =>
        p.metadata.labels?.['fusioninfer.io/service'] === name &&
        !p.metadata.deletionTimestamp,
    );
    const ready = (p: any) =>
      p.status?.conditions?.some(
        (c: any) => c.type === 'Ready' && c.status === 'True',
      );
    const groups = (dev.api.list(lwsT, 'default').items as any[])
      .filter(l => l.metadata.labels?.['fusioninfer.io/service'] === name)
      .map(l => {
        const mine = pods.filter(
          p =>
            p.metadata.labels?.['leaderworkerset.sigs.k8s.io/name'] ===
            l.metadata.name,
        );
        return {
          ready: mine.length >= NODES && mine.every(ready),
          updated:
            mine.length >= NODES &&
            mine.every(p => ready(p) && p.spec.containers[0].image === image),
          surge: l.metadata.labels?.['fusioninfer.io/surge'] === 'true',
        };
      });
    const gpus = pods.filter(p => p.spec.nodeName).length; // 1 GPU per pod
    return {
      readyReplicas: groups.filter(g => g.ready).length,
      updated: groups.filter(g => g.updated && !g.surge).length,
      extraGpus: Math.max(0, gpus - REPLICAS * NODES),
      leaders: pods.filter(
        p =>
          p.metadata.labels?.['leaderworkerset.sigs.k8s.io/worker-index'] ===
            '0' && ready(p),
      ),
    };
  };
  const waitFor = async (ok: () => boolean, what: string, ms = 300_000) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 100));
    }
  };
  await waitFor(
    () => observe('vllm/vllm-openai:v0.27.1').updated === REPLICAS,
    'the first deploy',
  );
  // Load: ten requests a second to a leader pod Ready at that moment.
  const load = { sent: 0, ok: 0, failed: 0, noReadyPod: 0 };
  let loading = true;
  const inflight: Promise<void>[] = [];
  const loadLoop = (async () => {
    for (let i = 0; loading; i++) {
      const leaders = observe('').leaders;
      if (leaders.length === 0) load.noReadyPod++;
      else {
        const pod = leaders[i % leaders.length].metadata.name;
        load.sent++;
        inflight.push(
          fetch(
            `${dev.url}/api/v1/namespaces/default/pods/${pod}:8000/proxy/v1/completions`,
            {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: 'Bearer dev-token',
              },
              body: JSON.stringify({ prompt: `q ${i}`, max_tokens: 8 }),
            },
          )
            .then(async r => {
              await r.arrayBuffer();
              if (r.ok) load.ok++;
              else load.failed++;
            })
            .catch(() => {
              load.failed++;
            }),
        );
      }
      await new Promise(r => setTimeout(r, 100));
    }
  })();
  const next = 'vllm/vllm-openai:v0.27.2';
  const samples: Array<{
    t: number;
    readyReplicas: number;
    updated: number;
    extraGpus: number;
  }> = [];
  const t0 = Date.now();
  const sampler = setInterval(() => {
    const o = observe(next);
    samples.push({
      t: Math.round((Date.now() - t0) / 100) / 10,
      readyReplicas: o.readyReplicas,
      updated: o.updated,
      extraGpus: o.extraGpus,
    });
  }, 1000);
  svc.spec.roles[0].template.spec.containers[0].image = next;
  await client.mergePatch(KINDS.InferenceService, 'default', name, {
    spec: svc.spec,
  });
  await waitFor(() => {
    const o = observe(next);
    return (
      o.updated === REPLICAS &&
      o.readyReplicas === REPLICAS &&
      o.extraGpus === 0
    );
  }, 'the rollout');
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  loading = false;
  await loadLoop;
  await Promise.all(inflight);
  await close();
  const maxUnavailable = policy ? Number(policy.maxUnavailable ?? 0) : 1;
  const maxSurge = policy ? Number(policy.maxSurge ?? 0) : 0;
  return {
    label,
    policy: policy ?? 'default (maxUnavailable 1, maxSurge 0)',
    replicas: REPLICAS,
    nodesPerReplica: NODES,
    gpusPerReplica: NODES,
    podStartupSeconds: STARTUP_MS / 1000,
    rolloutSeconds: seconds,
    samples: samples.length,
    minReadyReplicas: Math.min(...samples.map(s => s.readyReplicas)),
    // Without room for a surge replica the rollout replaces one replica at a time instead (and says so).
    requiredReadyReplicas:
      REPLICAS -
      (maxSurge > 0 && quotaLeft !== undefined && quotaLeft < NODES
        ? Math.max(maxUnavailable, 1)
        : maxUnavailable),
    maxExtraGpusInFlight: Math.max(...samples.map(s => s.extraGpus)),
    allowedExtraGpus: Math.min(maxSurge * NODES, quotaLeft ?? Infinity),
    ...(quotaLeft !== undefined ? { projectQuotaGpusLeft: quotaLeft } : {}),
    // A request that finds no Ready pod is one a gateway could not serve: it counts as failed.
    load: {
      ...load,
      errorRate: Number(
        (
          (load.failed + load.noReadyPod) /
          Math.max(1, load.sent + load.noReadyPod)
        ).toFixed(4),
      ),
    },
    timeline: samples,
  };
}

async function main() {
  const load0 = os.loadavg().map(x => Number(x.toFixed(1)));
  const cases = [
    await runCase('one replica down at a time', undefined),
    await runCase('surge first', { maxSurge: 1, maxUnavailable: 0 }),
    // The team project may add 1 GPU and a surge replica needs 2: the rollout goes without surge, one down at a time.
    await runCase(
      'surge first, quota without room for a surge replica',
      { maxSurge: 1, maxUnavailable: 0 },
      1,
    ),
    // What every spec change did before the rollout gate: every replica at once.
    await runCase('all at once (the behaviour before)', {
      maxUnavailable: REPLICAS,
    }),
  ];
  const results = {
    node: process.version,
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    loadAverageAtStart: load0,
    loadAverageAtEnd: os.loadavg().map(x => Number(x.toFixed(1))),
    setup:
      'development cluster in process with its simulated controllers (LWS, Volcano, kubelet, model servers), the reconciler against it over HTTP; samples every 1 s; load: 10 completions/s to a leader pod Ready at that moment, through the pod proxy',
    cases,
  };
  const out = path.resolve(__dirname, 'results/rollout.json');
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    JSON.stringify(
      { ...results, cases: cases.map(({ timeline: _t, ...c }) => c) },
      null,
      2,
    ),
  );
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
