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
 * GPU memory: from the labels NVIDIA's GPU feature discovery puts on nodes (`nvidia.com/gpu.product`,
 * `nvidia.com/gpu.memory` in MiB), or from a product name or an amount given by hand (the CLI's `--gpu` and
 * `--gpu-memory`). The figure is the total PyTorch sees (`torch.cuda.mem_get_info()[1]`), which vLLM multiplies by
 * `--gpu-memory-utilization`: a little below the marketing size, because the driver keeps some.
 */

const GiB = 1024 ** 3;

/** The memory of one GPU as vLLM sees it. @public */
export interface GpuSpec {
  /** Product name (the node label's, or as given). */
  product?: string;
  /** Total memory in bytes, as PyTorch reports it. */
  memoryBytes: number;
  /** Where the figure comes from: `node-label`, `product` (the table below), or `given`. */
  source: 'node-label' | 'product' | 'given';
}

/**
 * Known products and the total memory PyTorch reports for them (GiB), matched against the product name with `-`,
 * `_` and spaces ignored. Longer, more specific patterns first.
 */
const PRODUCTS: Array<[RegExp, number, string]> = [
  [/gb200/, 184.0, 'NVIDIA GB200'],
  [/b200/, 178.4, 'NVIDIA B200'],
  [/h200/, 139.8, 'NVIDIA H200'],
  [/h100nvl|h100.*94gb/, 93.1, 'NVIDIA H100 NVL'],
  [/h100/, 79.2, 'NVIDIA H100 80GB'],
  [/h800/, 79.2, 'NVIDIA H800'],
  [/h20/, 95.0, 'NVIDIA H20'],
  [/a100.*40gb|a10040g/, 39.4, 'NVIDIA A100 40GB'],
  [/a100/, 79.2, 'NVIDIA A100 80GB'],
  [/a800/, 79.2, 'NVIDIA A800 80GB'],
  [/l40s|l40/, 44.4, 'NVIDIA L40S'],
  [/a10g|a10(?![0-9])/, 22.1, 'NVIDIA A10G'],
  [/l4(?![0-9])/, 22.0, 'NVIDIA L4'],
  [/a6000/, 47.4, 'NVIDIA RTX A6000'],
  [/4090/, 23.6, 'NVIDIA GeForce RTX 4090'],
  [/3090/, 23.7, 'NVIDIA GeForce RTX 3090'],
  [/v100.*32/, 31.7, 'NVIDIA V100 32GB'],
  [/v100/, 15.8, 'NVIDIA V100 16GB'],
  [/t4(?![0-9])/, 14.6, 'NVIDIA T4'],
  [/mi300x/, 192.0, 'AMD Instinct MI300X'],
  [/mi325x/, 256.0, 'AMD Instinct MI325X'],
];

const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');

/** A GPU by product name (`H100-80GB`, `NVIDIA-A100-SXM4-40GB`, `L4` …); undefined when not known. @public */
export function gpuFromProduct(product: string): GpuSpec | undefined {
  const p = squash(product);
  for (const [re, gib] of PRODUCTS)
    if (re.test(p))
      return { product, memoryBytes: Math.round(gib * GiB), source: 'product' };
  return undefined;
}

/**
 * An amount of memory: `80GiB`, `80GB` (taken as GiB, as GPU makers and vLLM's logs mean it), `81559Mi`, `81559MiB`
 * or a bare number of GiB. Undefined when unreadable or not positive.
 * @public
 */
export function parseGpuMemory(text: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(gib|gb|gi|g|mib|mb|mi|m)?\s*$/i.exec(
    text,
  );
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!(n > 0)) return undefined;
  const unit = (m[2] ?? 'gib').toLowerCase();
  return Math.round(unit.startsWith('m') ? n * 1024 ** 2 : n * GiB);
}

/**
 * The GPU of a node from GPU feature discovery's labels: the product's known figure when the table has it, else the
 * labelled memory (MiB, as `nvidia-smi` prints it) less 1 % the driver keeps. Undefined when the node has neither.
 * @public
 */
export function gpuFromNodeLabels(
  labels: Record<string, string> | undefined,
): GpuSpec | undefined {
  const product = labels?.['nvidia.com/gpu.product'];
  const mib = Number(labels?.['nvidia.com/gpu.memory']);
  const known = product ? gpuFromProduct(product) : undefined;
  if (known) return { ...known, source: 'node-label' };
  if (Number.isFinite(mib) && mib > 0)
    return {
      ...(product ? { product } : {}),
      memoryBytes: Math.round(mib * 1024 ** 2 * 0.99),
      source: 'node-label',
    };
  return undefined;
}
