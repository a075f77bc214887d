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
 * The pre-flight against published vLLM start-up logs (golden/vllmStartupLogs.json: each case with its source and
 * the log lines quoted): the KV cache tokens within ±10 % of what vLLM logged, and the start / no-start verdict.
 * A case the model cannot predict is listed in KNOWN_MISSES with the reason; the test fails when such a case starts
 * to be predicted too (so the list only shrinks) and when any other case is wrong.
 */

import golden from './golden/vllmStartupLogs.json';
import { ModelCatalog, shippedModelCatalog } from './catalog';
import { preflight } from './preflight';

interface GoldenCase {
  id: string;
  source: string;
  vllmVersion?: string | null;
  engine?: string;
  model: string;
  gpu?: string | null;
  gpuMemoryGiB?: number | null;
  gpusPerReplica?: number;
  engineArgs: Record<string, unknown>;
  quoted: string[];
  expected: { starts: boolean; kvCacheTokens?: number; error?: string };
}

const KNOWN_MISSES: Record<string, string> = {
  'pr205-gpt-oss-20b-h100-tp1-util095-fail':
    'vLLM 0.19 fails after the KV cache is allocated, warming up the sampler in the 5 % left outside --gpu-memory-utilization (CUDA graphs took 1.84 GiB of it); that headroom is not modelled (the same rule would wrongly fail gemma-3-27b)',
};

/** Cases that do not start in both, but with another error than vLLM's. */
const OTHER_ERROR: Record<string, string> = {
  'vllm-23278-gpt-oss-120b-h100pcie-fail':
    'vLLM 0.10.1 loaded the MXFP4 weights as 65.97 GiB, 5 GiB more than the estimate, so the estimate leaves 2.8 GiB of cache where vLLM had none: both refuse, the estimate for the full 131,072-token context',
};

const FLAGS: Record<string, string> = {
  tensor_parallel_size: '--tensor-parallel-size',
  pipeline_parallel_size: '--pipeline-parallel-size',
  max_model_len: '--max-model-len',
  gpu_memory_utilization: '--gpu-memory-utilization',
  kv_cache_dtype: '--kv-cache-dtype',
  dtype: '--dtype',
  quantization: '--quantization',
  max_num_seqs: '--max-num-seqs',
  max_num_batched_tokens: '--max-num-batched-tokens',
  block_size: '--block-size',
};

/** The case as a service would run it: the image of its vLLM version (V0 without one: a V0 release). */
function serviceOf(c: GoldenCase) {
  const args = ['--model', c.model];
  for (const [k, v] of Object.entries(c.engineArgs))
    if (FLAGS[k]) args.push(FLAGS[k], String(v));
    else if (k === 'enforce_eager' && v) args.push('--enforce-eager');
  const tp = Number(c.engineArgs.tensor_parallel_size ?? 1);
  const pp = Number(c.engineArgs.pipeline_parallel_size ?? 1);
  let tag = 'latest';
  if (c.vllmVersion) tag = `v${c.vllmVersion}`;
  else if (c.engine === 'V0') tag = 'v0.6.6';
  return {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'golden', namespace: 'default' },
    spec: {
      roles: [
        {
          name: 'server',
          componentType: 'worker',
          replicas: 1,
          template: {
            spec: {
              containers: [
                {
                  name: 'vllm',
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
}

const cases = golden as unknown as GoldenCase[];
const catalog = new ModelCatalog(shippedModelCatalog());
const run = (c: GoldenCase) =>
  preflight(
    serviceOf(c),
    undefined,
    catalog,
    c.gpuMemoryGiB
      ? {
          gpu: {
            ...(c.gpu ? { product: c.gpu } : {}),
            memoryBytes: c.gpuMemoryGiB * 1024 ** 3,
            source: 'given',
          },
        }
      : {},
  ).roles[0];

describe('pre-flight against published vLLM start-up logs', () => {
  it('has at least 12 cases with sources and quoted lines, dense, MoE and MLA, some that do not start', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    for (const c of cases) {
      expect(c.source).toBeTruthy();
      expect(c.quoted.length).toBeGreaterThan(0);
    }
    expect(cases.filter(c => !c.expected.starts).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(
      cases.filter(c => c.expected.kvCacheTokens).length,
    ).toBeGreaterThanOrEqual(12);
    const models = cases.map(c => catalog.find(c.model)?.config);
    expect(models.some(m => m?.kv_lora_rank)).toBe(true); // MLA
    expect(
      models.some(
        m => m?.num_local_experts || m?.num_experts || m?.n_routed_experts,
      ),
    ).toBe(true); // MoE
  });

  it.each(
    cases.filter(c => c.expected.kvCacheTokens).map(c => [c.id, c] as const),
  )('%s: KV cache tokens within ±10 %% of the log', (_id, c) => {
    const role = run(c);
    expect(role.memory).toBeDefined();
    const logged = c.expected.kvCacheTokens!;
    const error = Math.abs(role.memory!.kvCacheTokens - logged) / logged;
    expect({
      estimated: role.memory!.kvCacheTokens,
      logged,
      withinTenPercent: error <= 0.1,
    }).toEqual({
      estimated: role.memory!.kvCacheTokens,
      logged,
      withinTenPercent: true,
    });
  });

  it.each(cases.map(c => [c.id, c] as const))(
    '%s: starts or not as vLLM did',
    (id, c) => {
      const role = run(c);
      expect(role.verdict).not.toBe('unknown');
      // Right, except the known misses, which must stay wrong until the model learns them (then the list shrinks).
      const right = (role.verdict === 'starts') === c.expected.starts;
      expect({
        id,
        right,
        verdict: role.verdict,
        error: role.error,
      }).toMatchObject({
        id,
        right: !KNOWN_MISSES[id],
      });
    },
  );

  it('prints vLLM’s own first line for the failures whose kind it predicts', () => {
    const first = (s: string) =>
      s.replace(/^(ValueError: |Value error, )/, '').split(/[.(]/)[0];
    const kinds =
      /max seq len|divisible|No available memory|max_model_len|out of memory/i;
    const checked = cases.filter(
      c =>
        !c.expected.starts &&
        c.expected.error &&
        !KNOWN_MISSES[c.id] &&
        !OTHER_ERROR[c.id] &&
        kinds.test(first(c.expected.error)),
    );
    expect(checked.length).toBeGreaterThanOrEqual(5);
    // Same kind of error; the figures in it are the estimate's.
    const wrong = checked
      .map(c => ({
        id: c.id,
        logged: first(c.expected.error!).slice(0, 24),
        printed: first(run(c).error ?? '').slice(0, 24),
      }))
      .filter(x => x.logged !== x.printed);
    expect(wrong).toEqual([]);
  });
});
