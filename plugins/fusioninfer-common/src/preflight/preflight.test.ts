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

import { readEngineArgs, shellWords } from './engineArgs';
import { ModelCatalog, modelEntryOf } from './catalog';
import { gpuFromNodeLabels, gpuFromProduct, parseGpuMemory } from './gpus';
import { clusterSnapshotOf, preflight } from './preflight';

const QWEN3_8B = modelEntryOf({
  id: 'Qwen/Qwen3-8B',
  parameters: 8.19e9,
  config: {
    num_hidden_layers: 36,
    hidden_size: 4096,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    head_dim: 128,
    vocab_size: 151936,
    max_position_embeddings: 40960,
    intermediate_size: 12288,
    torch_dtype: 'bfloat16',
  },
})!;
const catalog = new ModelCatalog([QWEN3_8B]);

const node = (
  name: string,
  gpus: number,
  labels: Record<string, string> = {},
) => ({
  metadata: {
    name,
    labels: {
      'nvidia.com/gpu.product': 'NVIDIA-L4',
      'nvidia.com/gpu.memory': '23034',
      ...labels,
    },
  },
  status: {
    allocatable: { 'nvidia.com/gpu': String(gpus), cpu: '48', pods: '110' },
  },
});

function service(
  args: string[],
  options: { gpus?: number; replicas?: number; nodeCount?: number } = {},
) {
  return {
    apiVersion: 'fusioninfer.io/v1alpha1',
    kind: 'InferenceService',
    metadata: { name: 'svc', namespace: 'demo' },
    spec: {
      roles: [
        {
          name: 'inference',
          componentType: 'worker',
          replicas: options.replicas ?? 1,
          ...(options.nodeCount
            ? { multinode: { nodeCount: options.nodeCount } }
            : {}),
          template: {
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image: 'vllm/vllm-openai:v0.27.1',
                  args,
                  resources: {
                    limits: { 'nvidia.com/gpu': String(options.gpus ?? 1) },
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

describe('readEngineArgs', () => {
  it('reads flags as vLLM does: = or a separate word, _ or -, short aliases, positional model', () => {
    const a = readEngineArgs({
      command: ['vllm', 'serve', 'Qwen/Qwen3-8B'],
      args: [
        '-tp',
        '4',
        '--pipeline_parallel_size=2',
        '--max-model-len',
        '32k',
        '--gpu-memory-utilization=0.85',
        '--enforce-eager',
        '--kv-cache-dtype',
        'fp8',
      ],
    });
    expect(a).toMatchObject({
      engine: 'vllm',
      model: 'Qwen/Qwen3-8B',
      tensorParallelSize: 4,
      pipelineParallelSize: 2,
      maxModelLen: 32000,
      gpuMemoryUtilization: 0.85,
      enforceEager: true,
      kvCacheDtype: 'fp8',
      unreadable: {},
    });
  });

  it('reads the image entrypoint (args only), one YAML item holding a flag and its value, and a sh -c line', () => {
    expect(
      readEngineArgs({
        image: 'vllm/vllm-openai:v0.9.0',
        args: ['--model=Qwen/Qwen3-8B', '--max-model-len 8192'],
      }),
    ).toMatchObject({
      engine: 'vllm',
      model: 'Qwen/Qwen3-8B',
      maxModelLen: 8192,
    });
    const sh = readEngineArgs({
      image: 'busybox',
      command: [
        '/bin/sh',
        '-c',
        "ray start --head && vllm serve 'Qwen/Qwen3-8B' --tensor-parallel-size 2",
      ],
    });
    expect(sh).toMatchObject({
      engine: 'vllm',
      model: 'Qwen/Qwen3-8B',
      tensorParallelSize: 2,
    });
    expect(shellWords(`a "b c" 'd e' f\\ g`)).toEqual([
      'a',
      'b c',
      'd e',
      'f g',
    ]);
  });

  it('skips the values of flags it does not read, and names the ones it cannot read', () => {
    const a = readEngineArgs({
      command: ['vllm', 'serve'],
      args: [
        '--served-model-name',
        'x',
        '--model',
        'm',
        '-tp',
        'two',
        '--gpu-memory-utilization',
        '1.5',
      ],
    });
    expect(a.model).toBe('m');
    expect(a.unreadable).toEqual({
      '-tp': 'two',
      '--gpu-memory-utilization': '1.5',
    });
  });

  it('is unknown for a container that is not vLLM', () => {
    expect(
      readEngineArgs({
        image: 'lmsysorg/sglang',
        command: ['python3', '-m', 'sglang.launch_server'],
      }).engine,
    ).toBe('unknown');
    expect(readEngineArgs(null).engine).toBe('unknown');
  });
});

describe('GPUs', () => {
  it('knows products, reads node labels and sizes', () => {
    expect(gpuFromProduct('H100-80GB')?.memoryBytes).toBeCloseTo(
      79.2 * 1024 ** 3,
      -6,
    );
    expect(gpuFromProduct('NVIDIA-A100-SXM4-40GB')?.memoryBytes).toBeCloseTo(
      39.4 * 1024 ** 3,
      -6,
    );
    expect(gpuFromProduct('Mystery 9000')).toBeUndefined();
    expect(
      gpuFromNodeLabels({ 'nvidia.com/gpu.memory': '16384' })?.memoryBytes,
    ).toBe(Math.round(16384 * 1024 ** 2 * 0.99));
    expect(gpuFromNodeLabels({})).toBeUndefined();
    expect(parseGpuMemory('80GiB')).toBe(80 * 1024 ** 3);
    expect(parseGpuMemory('81559Mi')).toBe(81559 * 1024 ** 2);
    expect(parseGpuMemory('lots')).toBeUndefined();
  });
});

describe('ModelCatalog', () => {
  it('finds a model by id, alias, local path, HF cache folder, and an unambiguous base name', () => {
    const c = new ModelCatalog([
      { ...QWEN3_8B, aliases: ['qwen3-8b-instruct'] },
    ]);
    for (const name of [
      'Qwen/Qwen3-8B',
      'qwen/qwen3-8b',
      'qwen3-8b-instruct',
      '/models/Qwen/Qwen3-8B/',
      '/root/.cache/huggingface/hub/models--Qwen--Qwen3-8B',
      'Qwen3-8B',
    ])
      expect(c.find(name)?.id).toBe('Qwen/Qwen3-8B');
    expect(c.find('Qwen/Qwen3-14B')).toBeUndefined();
  });
});

describe('preflight', () => {
  const l4 = clusterSnapshotOf([node('l4-0', 4), node('l4-1', 4)] as any, []);

  it('estimates memory and KV cache on the GPU the nodes label, and says it starts', () => {
    const r = preflight(
      service(['--model', 'Qwen/Qwen3-8B', '--max-model-len', '8192']),
      l4,
      catalog,
    );
    expect(r.verdict).toBe('starts');
    const m = r.roles[0].memory!;
    expect(m.gpu).toMatchObject({ product: 'NVIDIA-L4', source: 'node-label' });
    // 36 layers × 2 (K, V) × 8 KV heads × 128 × 2 bytes
    expect(m.kvBytesPerToken).toBe(147456);
    expect(m.kvCacheTokens % 16).toBe(0);
    expect(m.kvCacheTokens).toBeGreaterThan(8192);
    expect(m.maxConcurrency).toBeCloseTo(m.kvCacheTokens / 8192, 2);
    expect(r.gang).toMatchObject({ fits: true, placed: 1, pods: 1 });
  });

  it('says it does not start when the full context does not fit, with vLLM’s error and fixes that do fit', () => {
    const r = preflight(service(['--model', 'Qwen/Qwen3-8B']), l4, catalog);
    const role = r.roles[0];
    expect(r.verdict).toBe('does-not-start');
    expect(role.error).toMatch(
      /^ValueError: To serve at least one request with the models's max seq len \(40960\)/,
    );
    expect(role.error).toContain(
      `the estimated maximum model length is ${role.memory!.kvCacheTokens}`,
    );
    expect(role.fix).toContain(`--max-model-len ${role.memory!.kvCacheTokens}`);
    expect(role.fix).toMatch(/--kv-cache-dtype fp8|--tensor-parallel-size 2/);
  });

  it('finds the weights that do not fit one GPU and proposes the tensor-parallel size that does', () => {
    const big = new ModelCatalog([
      { ...QWEN3_8B, id: 'big', parameters: 30e9 },
    ]);
    const r = preflight(
      service(['--model', 'big', '--max-model-len', '4096']),
      l4,
      big,
    );
    expect(r.roles[0].error).toMatch(
      /^torch.OutOfMemoryError: CUDA out of memory/,
    );
    expect(r.roles[0].fix).toMatch(
      /--tensor-parallel-size 4 with 4 GPUs per replica/,
    );
  });

  it('checks what vLLM checks before loading: heads divisible by TP, TP × PP against the replica’s GPUs', () => {
    const heads = preflight(
      service(['--model', 'Qwen/Qwen3-8B', '-tp', '3'], { gpus: 3 }),
      l4,
      catalog,
    );
    expect(heads.roles[0].error).toBe(
      'ValueError: Total number of attention heads (32) must be divisible by tensor parallel size (3).',
    );
    const world = preflight(
      service(['--model', 'Qwen/Qwen3-8B', '-tp', '4'], { gpus: 2 }),
      l4,
      catalog,
    );
    expect(world.roles[0].error).toMatch(
      /^ValueError: The number of required GPUs exceeds the total number of available GPUs in the placement group/,
    );
    const idle = preflight(
      service(['--model', 'Qwen/Qwen3-8B', '--max-model-len', '4096'], {
        gpus: 2,
      }),
      l4,
      catalog,
    );
    expect(idle.roles[0].findings.map(f => f.message).join()).toContain(
      'vLLM uses 1 of the 2 GPUs of a replica',
    );
    const len = preflight(
      service(['--model', 'Qwen/Qwen3-8B', '--max-model-len', '65536']),
      l4,
      catalog,
    );
    expect(len.roles[0].error).toMatch(
      /^Value error, User-specified max_model_len \(65536\) is greater than the derived max_model_len \(max_position_embeddings=40960/,
    );
  });

  it('says unknown — never a guess — for an unknown model, an unknown GPU, or a server that is not vLLM', () => {
    expect(
      preflight(service(['--model', 'acme/secret-model']), l4, catalog)
        .roles[0],
    ).toMatchObject({ verdict: 'unknown' });
    const unlabeled = clusterSnapshotOf(
      [
        {
          metadata: { name: 'n' },
          status: { allocatable: { 'nvidia.com/gpu': '8' } },
        },
      ] as any,
      [],
    );
    const noGpu = preflight(
      service(['--model', 'Qwen/Qwen3-8B']),
      unlabeled,
      catalog,
    );
    expect(noGpu.roles[0].verdict).toBe('unknown');
    expect(noGpu.roles[0].findings.map(f => f.message).join()).toContain(
      'GPU memory unknown',
    );
    const withFlag = preflight(
      service(['--model', 'Qwen/Qwen3-8B']),
      unlabeled,
      catalog,
      { gpu: gpuFromProduct('H100')! },
    );
    expect(withFlag.roles[0].verdict).toBe('starts');
    const sglang = service([]);
    (sglang.spec.roles[0].template.spec.containers[0] as any).image =
      'lmsysorg/sglang:latest';
    (sglang.spec.roles[0].template.spec.containers[0] as any).command = [
      'python3',
      '-m',
      'sglang.launch_server',
    ];
    expect(preflight(sglang, l4, catalog).verdict).toBe('unknown');
  });

  it('bin-packs the gang per node and names the blocking node shape', () => {
    // 2 replicas × 2 nodes × 4 GPUs = 4 pods of 4: fits two 8-GPU nodes, not one 8 and two 2-GPU nodes
    const svc = service(
      ['--model', 'Qwen/Qwen3-8B', '-tp', '8', '--max-model-len', '4096'],
      { gpus: 4, replicas: 2, nodeCount: 2 },
    );
    const roomy = clusterSnapshotOf([node('a', 8), node('b', 8)] as any, []);
    expect(preflight(svc, roomy, catalog).gang).toMatchObject({
      fits: true,
      placed: 4,
      minMember: 4,
    });
    const busy = clusterSnapshotOf(
      [node('a', 8), node('b', 8)] as any,
      [
        {
          metadata: { name: 'p' },
          spec: {
            nodeName: 'b',
            containers: [
              { resources: { requests: { 'nvidia.com/gpu': '6' } } },
            ],
          },
          status: { phase: 'Running' },
        },
      ] as any,
    );
    const gang = preflight(svc, busy, catalog).gang;
    expect(gang.fits).toBe(false);
    expect(gang.blocking).toBe(
      'a pod of inference needs 4 free GPUs on one node; the largest free block once the other 2 pods are placed is 2 on b',
    );
    // The service's own pods count as free (an update replaces them).
    const own = clusterSnapshotOf(
      [node('a', 8), node('b', 8)] as any,
      [
        {
          metadata: { name: 'p', labels: { 'fusioninfer.io/service': 'svc' } },
          spec: {
            nodeName: 'b',
            containers: [{ resources: { limits: { 'nvidia.com/gpu': '6' } } }],
          },
          status: { phase: 'Running' },
        },
      ] as any,
      {
        ignorePod: p => p.metadata.labels?.['fusioninfer.io/service'] === 'svc',
      },
    );
    expect(preflight(svc, own, catalog).gang.fits).toBe(true);
    // Pods that ended hold nothing; cordoned nodes take nothing.
    expect(
      clusterSnapshotOf(
        [{ ...node('c', 8), spec: { unschedulable: true } }] as any,
        [],
      ).nodes,
    ).toEqual([]);
  });

  it('honours nodeSelector when choosing the GPU and the nodes', () => {
    const mixed = clusterSnapshotOf(
      [
        node('l4', 8),
        node('h100', 8, {
          'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
          'nvidia.com/gpu.memory': '81559',
        }),
      ] as any,
      [],
    );
    const svc = service(['--model', 'Qwen/Qwen3-8B']);
    const any = preflight(svc, mixed, catalog);
    expect(any.roles[0].memory!.gpu.product).toBe('NVIDIA-L4');
    expect(any.roles[0].findings.map(f => f.message).join()).toContain(
      'uses the smallest',
    );
    (svc.spec.roles[0].template.spec as any).nodeSelector = {
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
    };
    const pinned = preflight(svc, mixed, catalog);
    expect(pinned.roles[0]).toMatchObject({
      verdict: 'starts',
      memory: { gpu: { product: 'NVIDIA-H100-80GB-HBM3' } },
    });
  });

  it('never throws and stays bounded on hostile input', () => {
    for (const bad of [
      null,
      1,
      'x',
      {},
      { spec: { roles: 'no' } },
      {
        spec: {
          roles: [null, { componentType: 'worker', replicas: 2147483647 }],
        },
      },
    ])
      expect(() => preflight(bad, l4, catalog)).not.toThrow();
    const huge = preflight(
      {
        spec: {
          roles: [
            {
              name: 'w',
              componentType: 'worker',
              replicas: 2147483647,
              template: { spec: { containers: [{}] } },
            },
          ],
        },
      },
      l4,
      catalog,
    );
    expect(huge.gang.message).toMatch(/^not simulated/);
  });
});
