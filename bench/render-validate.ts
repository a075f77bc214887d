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
 * Benchmark: render + validate throughput of @fusioninfer/plugin-fusioninfer-common.
 *
 *   npm run bench:render            (or: node -r @backstage/cli/config/nodeTransform.cjs bench/render-validate.ts)
 *
 * Reports renders/s and validations/s for the 13 upstream examples and for a large synthetic P/D service, objects
 * rendered per second, and how the time per render grows with replicas (as ratios within one run, since absolute
 * numbers depend on the machine). Writes bench/results/render-validate.json.
 */

import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';
import {
  renderInferenceService,
  validateInferenceService,
} from '../plugins/fusioninfer-common/src';

const ROOT = path.resolve(__dirname, '..');
const examples = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter(f => f.endsWith('.yaml'))
  .sort()
  .map(f => parse(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')));

function synthetic(replicas: number, nodes: number) {
  const role = (name: string, componentType: string) => ({
    name,
    componentType,
    replicas,
    multinode: { nodeCount: nodes },
    template: {
      spec: {
        containers: [
          {
            name: 'vllm',
            image: 'vllm/vllm-openai:v0.27.1',
            args: [
              '--model',
              'deepseek-ai/DeepSeek-R1',
              '--tensor-parallel-size',
              String(8 * nodes),
              '--kv-transfer-config',
              '{"kv_connector":"NixlConnector","kv_role":"kv_both"}',
            ],
            resources: { limits: { 'nvidia.com/gpu': '8', memory: '512Gi' } },
          },
        ],
      },
    },
  });
  return {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'big', namespace: 'bench', uid: 'u' },
    spec: {
      roles: [
        {
          name: 'router',
          componentType: 'router',
          strategy: 'pd-disaggregation',
          httproute: { parentRefs: [{ name: 'gw' }] },
        },
        role('prefill', 'prefiller'),
        role('decode', 'decoder'),
      ],
    },
  };
}

/** Runs fn repeatedly for at least minMs and returns operations per second. */
function opsPerSecond(fn: () => void, minMs = 1500): number {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (n * 1000) / elapsed;
}

const results: Record<string, unknown> = {
  node: process.version,
  date: new Date().toISOString(),
};
let sink = 0;

const childrenPerExamplesPass = examples.reduce(
  (s, e) => s + renderInferenceService(e).children.length,
  0,
);
const renderExamples =
  opsPerSecond(() => {
    for (const e of examples) sink += renderInferenceService(e).children.length;
  }) * examples.length;
const validateExamples =
  opsPerSecond(() => {
    for (const e of examples) sink += validateInferenceService(e).errors.length;
  }) * examples.length;
// Machine yardstick: a JSON round trip of the very children rendered (what any consumer does at least once).
const allChildren = examples.map(e => renderInferenceService(e).children);
const jsonRoundTrips =
  opsPerSecond(() => {
    for (const c of allChildren)
      sink += (JSON.parse(JSON.stringify(c)) as unknown[]).length;
  }) * examples.length;
results.examples = {
  jsonRoundTripsOfTheOutputPerSecond: Math.round(jsonRoundTrips),
  renderCostInJsonRoundTrips: Number(
    (jsonRoundTrips / renderExamples).toFixed(2),
  ),
  documents: examples.length,
  rendersPerSecond: Math.round(renderExamples),
  validationsPerSecond: Math.round(validateExamples),
  childrenPerSecond: Math.round(
    (renderExamples / examples.length) * childrenPerExamplesPass,
  ),
};

const big = synthetic(64, 8);
const bigRender = renderInferenceService(big);
const bigRps = opsPerSecond(() => {
  sink += renderInferenceService(big).children.length;
}, 2000);
const bigVps = opsPerSecond(() => {
  sink += validateInferenceService(big).errors.length;
}, 2000);
results.synthetic64x8 = {
  children: bigRender.children.length,
  pods: bigRender.summary.totals.pods,
  gpus: bigRender.summary.totals.gpus,
  rendersPerSecond: Number(bigRps.toFixed(1)),
  validationsPerSecond: Number(bigVps.toFixed(1)),
  childrenPerSecond: Math.round(bigRps * bigRender.children.length),
};

const scaling: Array<Record<string, number>> = [];
let base = 0;
for (const r of [1, 4, 16, 64, 256]) {
  const svc = synthetic(r, 8);
  const us =
    1e6 /
    opsPerSecond(() => {
      sink += renderInferenceService(svc).children.length;
    }, 800);
  if (r === 1) base = us;
  scaling.push({
    replicasPerRole: r,
    microsecondsPerRender: Number(us.toFixed(1)),
    ratioToOneReplica: Number((us / base).toFixed(2)),
    perReplicaRatio: Number((us / base / r).toFixed(3)),
  });
}
results.scalingWithReplicas = scaling;

const out = path.join(__dirname, 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(
  path.join(out, 'render-validate.json'),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.log(JSON.stringify(results, null, 2));
if (sink < 0) console.log(sink);
