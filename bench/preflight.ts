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
 * Benchmark of the pre-flight (issue 18): milliseconds per check of a 32-role service (each role another model of the
 * catalog, on a snapshot of 1,000 GPU nodes with pods bound) and of every example, and the accuracy against the
 * golden set of published vLLM start-up logs (worst KV-token error, verdicts right). Target: under 200 ms per check
 * of a 32-role service.
 *
 *   npm run bench:preflight          (writes bench/results/preflight.json)
 */

import fs from 'fs';
import os from 'os';
import path from 'path';
import { parse } from 'yaml';
import {
  clusterSnapshotOf,
  ModelCatalog,
  preflight,
  shippedModelCatalog,
} from '../plugins/fusioninfer-common/src';
import golden from '../plugins/fusioninfer-common/src/preflight/golden/vllmStartupLogs.json';

const ROOT = path.resolve(__dirname, '..');
const catalog = new ModelCatalog(shippedModelCatalog());
const models = catalog.list().map(m => m.id);

const nodes = Array.from({ length: 1000 }, (_, i) => ({
  metadata: {
    name: `node-${String(i).padStart(4, '0')}`,
    labels: {
      'nvidia.com/gpu.product':
        i % 3 ? 'NVIDIA-H100-80GB-HBM3' : 'NVIDIA-A100-SXM4-80GB',
      'nvidia.com/gpu.memory': '81559',
    },
  },
  status: {
    allocatable: {
      'nvidia.com/gpu': '8',
      cpu: '96',
      memory: '1Ti',
      pods: '110',
    },
  },
}));
const pods = Array.from({ length: 3000 }, (_, i) => ({
  metadata: { name: `p${i}`, namespace: 'x' },
  spec: {
    nodeName: `node-${String(i % 1000).padStart(4, '0')}`,
    containers: [{ resources: { requests: { 'nvidia.com/gpu': '2' } } }],
  },
  status: { phase: 'Running' },
}));

const service32 = {
  apiVersion: 'fusioninfer.io/v1alpha1',
  kind: 'InferenceService',
  metadata: { name: 'big', namespace: 'default' },
  spec: {
    roles: Array.from({ length: 32 }, (_, i) => ({
      name: `role-${i}`,
      componentType: i % 2 ? 'prefiller' : 'decoder',
      replicas: 4,
      multinode: { nodeCount: 2 },
      template: {
        spec: {
          containers: [
            {
              name: 'vllm',
              image: 'vllm/vllm-openai:v0.27.1',
              args: [
                '--model',
                models[i % models.length],
                '-tp',
                '8',
                '-pp',
                '2',
              ],
              resources: { limits: { 'nvidia.com/gpu': '8' } },
            },
          ],
        },
      },
    })),
  },
};

function msPer(fn: () => void, minMs = 1500): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

const FLAGS: Record<string, string> = {
  tensor_parallel_size: '--tensor-parallel-size',
  pipeline_parallel_size: '--pipeline-parallel-size',
  max_model_len: '--max-model-len',
  gpu_memory_utilization: '--gpu-memory-utilization',
  kv_cache_dtype: '--kv-cache-dtype',
  dtype: '--dtype',
  quantization: '--quantization',
  block_size: '--block-size',
};

function goldenAccuracy() {
  let worst = 0;
  let withTokens = 0;
  let right = 0;
  const all = golden as any[];
  for (const c of all) {
    const args = ['--model', c.model];
    for (const [k, v] of Object.entries(c.engineArgs ?? {}))
      if (FLAGS[k]) args.push(FLAGS[k], String(v));
    const tp = Number(c.engineArgs.tensor_parallel_size ?? 1);
    const pp = Number(c.engineArgs.pipeline_parallel_size ?? 1);
    const tag = c.vllmVersion
      ? `v${c.vllmVersion}`
      : c.engine === 'V0'
        ? 'v0.6.6'
        : 'latest';
    const svc = {
      spec: {
        roles: [
          {
            name: 'w',
            componentType: 'worker',
            template: {
              spec: {
                containers: [
                  {
                    image: `vllm/vllm-openai:${tag}`,
                    args,
                    resources: {
                      limits: {
                        'nvidia.com/gpu': String(c.gpusPerReplica ?? tp * pp),
                      },
                    },
                  },
                ],
              },
            },
          },
        ],
      },
    };
    const role = preflight(
      svc,
      undefined,
      catalog,
      c.gpuMemoryGiB
        ? {
            gpu: {
              product: c.gpu ?? undefined,
              memoryBytes: c.gpuMemoryGiB * 1024 ** 3,
              source: 'given',
            },
          }
        : {},
    ).roles[0];
    if ((role.verdict === 'starts') === c.expected.starts) right++;
    if (c.expected.kvCacheTokens && role.memory) {
      withTokens++;
      worst = Math.max(
        worst,
        Math.abs(role.memory.kvCacheTokens - c.expected.kvCacheTokens) /
          c.expected.kvCacheTokens,
      );
    }
  }
  return {
    cases: all.length,
    verdictsRight: right,
    casesWithLoggedTokens: withTokens,
    worstKvTokenErrorPercent: Number((worst * 100).toFixed(1)),
  };
}

const load0 = os.loadavg().map(x => Number(x.toFixed(1)));
const snapshotMs = msPer(
  () => clusterSnapshotOf(nodes as any, pods as any),
  500,
);
const snapshot = clusterSnapshotOf(nodes as any, pods as any);
const report = preflight(service32, snapshot, catalog);
const ms32 = msPer(() => preflight(service32, snapshot, catalog));
const examples = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter(f => f.endsWith('.yaml'))
  .map(f => parse(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')));
const msExample =
  msPer(() => {
    for (const e of examples) preflight(e, snapshot, catalog);
  }) / examples.length;
const results = {
  node: process.version,
  date: new Date().toISOString(),
  cpus: os.cpus().length,
  loadAverageAtStart: load0,
  loadAverageAtEnd: os.loadavg().map(x => Number(x.toFixed(1))),
  snapshot: {
    nodes: nodes.length,
    pods: pods.length,
    msToBuild: Number(snapshotMs.toFixed(2)),
  },
  service32Roles: {
    roles: 32,
    pods: report.gang.pods,
    msPerCheck: Number(ms32.toFixed(2)),
    targetMs: 200,
    ratioToTarget: Number((ms32 / 200).toFixed(4)),
    verdict: report.verdict,
    placement: report.gang.message,
  },
  examples: {
    services: examples.length,
    msPerCheck: Number(msExample.toFixed(3)),
  },
  golden: goldenAccuracy(),
};
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(
  path.join(ROOT, 'bench/results/preflight.json'),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.log(JSON.stringify(results, null, 2));
