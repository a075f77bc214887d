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
 * vLLM's memory budget for one GPU of a replica, as its V1 engine computes it at start-up (gpu_worker.py
 * `determine_available_memory`, kv_cache_utils.py): it may use `total × gpu_memory_utilization`; from that it takes
 * the weights of its shard, the activation peak of a profiling forward pass over `max_num_batched_tokens` tokens and
 * a sampler pass over `max_num_seqs` requests, and the memory outside PyTorch (NCCL, CUDA context); the rest holds KV
 * cache blocks of `block_size` tokens. The estimate is the arithmetic of the architecture; the constants that stand in
 * for measured profiles are in CALIBRATION and were fitted to the golden set of published start-up logs
 * (golden/vllmStartupLogs.json, checked by preflight.golden.test.ts).
 */

import { EngineArgs } from './engineArgs';
import { ModelConfig, ModelEntry } from './catalog';
import { GpuSpec } from './gpus';

const GiB = 1024 ** 3;

/**
 * Figures that stand in for what vLLM measures when it profiles, fitted to the golden set of start-up logs
 * (golden/vllmStartupLogs.json; v0.19 on H100, v0.10 on L40S, V0 on RTX 3090/4090) and checked by
 * preflight.golden.test.ts.
 * @public
 */
export const CALIBRATION = {
  /** Memory outside PyTorch on one GPU (cuBLAS workspace and the like), GiB; V0 counted a little more. */
  nonTorchGiB: 0.25,
  nonTorchV0GiB: 0.35,
  /** Added per GPU with tensor parallelism over NVLink (NCCL and custom all-reduce buffers), GiB. */
  nvlinkTensorParallelGiB: 1.85,
  /**
   * Added per GPU with tensor parallelism over PCIe between two GPUs (custom all-reduce buffers), GiB; vLLM turns
   * custom all-reduce off for more than two PCIe GPUs, which then add nothing measurable.
   */
  pcieTensorParallelGiB: 0.3,
  /**
   * The sampler's profiling pass: copies of the `[max_num_seqs, vocab]` float32 logits alive at its peak — 3.9 from
   * vLLM 0.19 on, 9.6 before (0.10–0.11 logs, and V0).
   */
  samplerLogitCopies: 3.9,
  samplerLogitCopiesBefore019: 9.6,
  /** The forward pass: bytes per batched token per unit of (hidden + per-GPU intermediate size). */
  forwardBytesPerTokenWidth: 6,
  /** Fused MoE: bytes per routed token per unit of per-GPU expert intermediate size (gate and up). */
  moeBytesPerRoutedTokenWidth: 7.2,
  /** Quantized checkpoints: bytes per weight of their scales and zero points on top of `bits / 8`. */
  quantOverheadBytesPerWeight: 0.03,
  /** CUDA graphs, which vLLM subtracts from the budget since 0.21 (unless --enforce-eager): GiB, plus GiB per layer. */
  cudaGraphGiB: 0.5,
  cudaGraphGiBPerLayer: 0.01,
};

/** What vLLM's defaults depend on: GPUs of 70 GiB and more, A100s excepted, get larger batches (arg_utils.py). */
const LARGE_GPU_BYTES = 70 * GiB;

/** GPUs whose tensor-parallel traffic goes over NVLink (SXM boards); PCIe cards and consumer GPUs do not. */
const NVLINK = /h100|h200|h800|h20|b200|b300|gb200|gb300|a100|a800|mi300|mi325/;

/** Whether vLLM's version is at least `major.minor` (an unknown version counts as the current one). */
export function versionAtLeast(args: EngineArgs, major: number, minor: number) {
  const v = args.version;
  if (!v) return !args.v0;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** The language model's fields (multimodal configs nest them in `text_config`). @public */
export function languageConfig(config: ModelConfig): ModelConfig {
  return config.text_config ? { ...config, ...config.text_config } : config;
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  float: 4,
  float16: 2,
  half: 2,
  bfloat16: 2,
  fp8: 1,
  fp8_e4m3: 1,
  fp8_e5m2: 1,
  fp8_inc: 1,
  fp8_ds_mla: 1,
};

/** Bytes per element of the model's compute dtype (`--dtype`, else the config's; float32 models run in 16 bits). */
export function computeDtypeBytes(args: EngineArgs): number {
  if (args.dtype !== 'auto') return DTYPE_BYTES[args.dtype] ?? 2;
  // vLLM's `auto` runs float32 checkpoints in bfloat16/float16.
  return 2;
}

/** Bytes per element of the KV cache. */
export function kvDtypeBytes(args: EngineArgs): number {
  if (args.kvCacheDtype === 'auto') return computeDtypeBytes(args);
  return DTYPE_BYTES[args.kvCacheDtype] ?? 2;
}

/** Whether the model is MLA (DeepSeek V2/V3 and their kin): it caches a compressed latent, not keys and values. */
export function isMla(config: ModelConfig): boolean {
  const c = languageConfig(config);
  return (c.kv_lora_rank ?? 0) > 0 && (c.qk_rope_head_dim ?? 0) > 0;
}

export function headDim(config: ModelConfig): number | undefined {
  const c = languageConfig(config);
  if (c.head_dim) return c.head_dim;
  if (c.hidden_size && c.num_attention_heads)
    return c.hidden_size / c.num_attention_heads;
  return undefined;
}

/**
 * The attention layers of one pipeline stage as vLLM's KV cache counts them. A uniform model: its layers. A hybrid
 * of full and sliding-window attention (`layer_types`): vLLM groups the layers of each kind into groups of the size
 * of the smallest kind (the largest when the kinds are within 25 % of each other), padding the last group of a kind,
 * and one block holds a page for every slot (Gemma 3 27B: 10 full and 52 sliding layers are 70 slots).
 * @public
 */
export function layerSlots(config: ModelConfig, args: EngineArgs) {
  const c = languageConfig(config);
  const layers = c.num_hidden_layers ?? 0;
  const pp = Math.max(1, args.pipelineParallelSize);
  const types = (c.layer_types ?? []).filter(
    t => t === 'full_attention' || t === 'sliding_attention',
  );
  if (
    types.length !== layers ||
    !types.includes('sliding_attention') ||
    !types.includes('full_attention')
  ) {
    const stage = Math.ceil(layers / pp);
    return { slots: stage, full: stage, sliding: 0 };
  }
  // Per stage: the stage's share of each kind (the kinds interleave evenly).
  const full = Math.ceil(types.filter(t => t === 'full_attention').length / pp);
  const sliding = Math.ceil(
    types.filter(t => t === 'sliding_attention').length / pp,
  );
  const lo = Math.min(full, sliding);
  const hi = Math.max(full, sliding);
  const group = hi < 1.25 * lo ? hi : lo;
  const pad = (n: number) => Math.ceil(n / group) * group;
  return {
    slots: pad(full) + pad(sliding),
    full: pad(full),
    sliding: pad(sliding),
  };
}

/**
 * Bytes of KV cache one token takes on one GPU of the last stage, as vLLM sizes its blocks: per layer slot (see
 * {@link layerSlots}) the keys and values of the KV heads this GPU holds (KV heads divided by tensor parallelism, at
 * least one: vLLM replicates when there are fewer heads than GPUs), or for MLA the latent plus the rotary key,
 * replicated on every GPU. Undefined when the config lacks a field it needs.
 * @public
 */
export function kvBytesPerToken(
  config: ModelConfig,
  args: EngineArgs,
): number | undefined {
  const c = languageConfig(config);
  if (!c.num_hidden_layers) return undefined;
  const { slots } = layerSlots(config, args);
  const bytes = kvDtypeBytes(args);
  if (isMla(c)) return slots * (c.kv_lora_rank! + c.qk_rope_head_dim!) * bytes;
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  const dim = headDim(c);
  if (!kvHeads || !dim) return undefined;
  const perGpuHeads = Math.max(1, kvHeads / args.tensorParallelSize);
  return slots * 2 * perGpuHeads * dim * bytes;
}

/**
 * Requests of `maxModelLen` tokens the KV cache holds at once: for a uniform model its tokens over the length; for a
 * hybrid, sliding layers keep at most their window (plus a block) of each request.
 * @public
 */
export function maxConcurrency(
  config: ModelConfig,
  args: EngineArgs,
  tokens: number,
  maxModelLen: number,
): number {
  const { slots, full, sliding } = layerSlots(config, args);
  if (!sliding || maxModelLen <= 0) return tokens / Math.max(1, maxModelLen);
  const window = languageConfig(config).sliding_window ?? maxModelLen;
  const perRequest =
    full * maxModelLen +
    sliding * Math.min(maxModelLen, window + args.blockSize);
  return (tokens * slots) / perRequest;
}

/** Experts of a MoE model, and how many each token uses. */
function experts(c: ModelConfig) {
  const n = c.n_routed_experts ?? c.num_local_experts ?? c.num_experts ?? 0;
  return {
    n,
    active: c.num_experts_per_tok ?? 0,
    shared: c.n_shared_experts ?? 0,
  };
}

/** Parameters of the embedding and the LM head (kept in 16 bits by quantized checkpoints). */
function embeddingParameters(c: ModelConfig): number {
  if (!c.vocab_size || !c.hidden_size) return 0;
  return c.vocab_size * c.hidden_size * (c.tie_word_embeddings ? 1 : 2);
}

/**
 * Parameters of a dense or MoE transformer from its config: embeddings, attention (Q, K, V, O projections) and the
 * gated MLP or experts of every layer. Undefined for architectures this arithmetic does not cover (MLA, hybrid
 * linear attention): the catalog's parameter count is used for those.
 * @public
 */
export function parametersFromConfig(config: ModelConfig): number | undefined {
  const c = languageConfig(config);
  const h = c.hidden_size;
  const L = c.num_hidden_layers;
  const heads = c.num_attention_heads;
  const dim = headDim(c);
  if (!h || !L || !heads || !dim || isMla(c)) return undefined;
  if (c.layer_types?.some(t => t.includes('linear'))) return undefined;
  const kv = c.num_key_value_heads ?? heads;
  const attention = h * heads * dim * 2 + h * kv * dim * 2;
  const e = experts(c);
  let mlp: number;
  if (e.n > 0) {
    const inter = c.moe_intermediate_size ?? c.intermediate_size;
    if (!inter) return undefined;
    mlp = (e.n + e.shared) * 3 * h * inter + e.n * h;
  } else {
    if (!c.intermediate_size) return undefined;
    mlp = 3 * h * c.intermediate_size;
  }
  return embeddingParameters(c) + L * (attention + mlp + 2 * h) + h;
}

/** How the weights are stored: bits per quantized weight, or undefined for 16-bit (or 32-bit) checkpoints. */
function weightBits(args: EngineArgs, c: ModelConfig): number | undefined {
  const q = c.quantization_config;
  const method = (args.quantization ?? q?.quant_method ?? '').toLowerCase();
  if (!method) return undefined;
  if (typeof q?.bits === 'number' && q.bits > 0) return q.bits;
  if (method.includes('fp8') || method === 'int8' || method === 'w8a8')
    return 8;
  if (method.includes('mxfp4')) return 4.25;
  if (/awq|gptq|bitsandbytes|bnb|nf4|marlin|int4|gguf/.test(method)) return 4;
  if (method.includes('compressed')) {
    // compressed-tensors: the bits are in config_groups.*.weights.num_bits
    const groups = (q as any)?.config_groups;
    const bits = groups
      ? Object.values(groups)
          .map((g: any) => g?.weights?.num_bits)
          .find((b: unknown) => typeof b === 'number')
      : undefined;
    return typeof bits === 'number' ? bits : 8;
  }
  return undefined;
}

/** Bytes of the whole model's weights as loaded, and where the figure comes from. @public */
export function weightsBytes(
  model: ModelEntry,
  args: EngineArgs,
):
  | { bytes: number; from: 'checkpoint' | 'parameters' | 'architecture' }
  | undefined {
  const c = languageConfig(model.config);
  const bits = weightBits(args, c);
  const onlineQuant = args.quantization && !c.quantization_config;
  if (model.weightsBytes && !onlineQuant && args.dtype !== 'float32')
    return { bytes: model.weightsBytes, from: 'checkpoint' };
  const fromConfig = parametersFromConfig(model.config);
  const params = model.parameters ?? fromConfig;
  if (!params) return undefined;
  const from = model.parameters ? 'parameters' : 'architecture';
  const dtype = computeDtypeBytes(args);
  if (!bits) return { bytes: params * dtype, from };
  const embed = Math.min(params, embeddingParameters(c));
  // MXFP4 checkpoints (gpt-oss) quantize only the experts; the others everything but the embeddings and the LM head.
  const e = experts(c);
  const expertParams =
    e.n > 0 && c.hidden_size && c.num_hidden_layers
      ? c.num_hidden_layers *
        e.n *
        3 *
        c.hidden_size *
        (c.moe_intermediate_size ?? c.intermediate_size ?? 0)
      : 0;
  const quantized = /mxfp4/.test(
    String(args.quantization ?? c.quantization_config?.quant_method ?? ''),
  )
    ? Math.min(params - embed, expertParams || params - embed)
    : params - embed;
  return {
    bytes:
      (params - quantized) * dtype +
      quantized * (bits / 8 + CALIBRATION.quantOverheadBytesPerWeight),
    from,
  };
}

/**
 * The batch sizes vLLM profiles with: the OpenAI server's defaults of the V1 engine by GPU size (arg_utils.py), or
 * V0's (256 sequences; without chunked prefill, which V0 turned on only beyond 32K tokens, a whole max-model-len
 * prompt in one batch).
 * @public
 */
export function batchDefaults(
  args: EngineArgs,
  gpu: GpuSpec,
  maxModelLen: number,
): { maxNumBatchedTokens: number; maxNumSeqs: number } {
  if (args.v0) {
    const chunked = maxModelLen > 32768;
    return {
      maxNumBatchedTokens:
        args.maxNumBatchedTokens ??
        (chunked ? 2048 : Math.max(maxModelLen, 2048)),
      maxNumSeqs: args.maxNumSeqs ?? 256,
    };
  }
  const large =
    gpu.memoryBytes >= LARGE_GPU_BYTES &&
    !/a100|a800/.test((gpu.product ?? '').toLowerCase());
  return {
    maxNumBatchedTokens: args.maxNumBatchedTokens ?? (large ? 8192 : 2048),
    maxNumSeqs: args.maxNumSeqs ?? (large ? 1024 : 256),
  };
}

/**
 * Peak activation memory of vLLM's profiling on one GPU: the larger of the sampler's pass over `max_num_seqs` rows
 * of float32 logits (the whole vocabulary on every GPU) and a forward pass over `max_num_batched_tokens` tokens
 * (hidden and per-GPU intermediate width), plus the fused-MoE workspace of the routed tokens.
 */
export function activationBytes(
  config: ModelConfig,
  args: EngineArgs,
  gpu: GpuSpec,
  maxModelLen: number,
): number {
  const c = languageConfig(config);
  const { maxNumBatchedTokens, maxNumSeqs } = batchDefaults(
    args,
    gpu,
    maxModelLen,
  );
  const tp = Math.max(1, args.tensorParallelSize);
  const e = experts(c);
  const dense = e.n > 0 ? 0 : (c.intermediate_size ?? 4 * (c.hidden_size ?? 0));
  const forward =
    maxNumBatchedTokens *
    ((c.hidden_size ?? 0) + dense / tp) *
    CALIBRATION.forwardBytesPerTokenWidth;
  const copies = versionAtLeast(args, 0, 19)
    ? CALIBRATION.samplerLogitCopies
    : CALIBRATION.samplerLogitCopiesBefore019;
  const sampler = maxNumSeqs * (c.vocab_size ?? 0) * 4 * copies;
  const moe =
    e.n > 0
      ? maxNumBatchedTokens *
        Math.max(1, e.active) *
        ((c.moe_intermediate_size ?? c.intermediate_size ?? 0) / tp) *
        CALIBRATION.moeBytesPerRoutedTokenWidth
      : 0;
  return Math.max(forward, sampler) + moe;
}

/** Memory outside PyTorch on one GPU: a base, and NCCL / custom all-reduce buffers with tensor parallelism. */
export function nonTorchBytes(args: EngineArgs, gpu: GpuSpec): number {
  const base = args.v0 ? CALIBRATION.nonTorchV0GiB : CALIBRATION.nonTorchGiB;
  if (args.tensorParallelSize <= 1) return base * GiB;
  const nvlink =
    NVLINK.test((gpu.product ?? '').toLowerCase()) &&
    !/pcie/.test((gpu.product ?? '').toLowerCase());
  let buffers = 0;
  if (nvlink) buffers = CALIBRATION.nvlinkTensorParallelGiB;
  else if (args.tensorParallelSize === 2)
    buffers = CALIBRATION.pcieTensorParallelGiB;
  return (base + buffers) * GiB;
}

/** CUDA graphs' memory when vLLM takes it from the budget (0.21 and later, not with --enforce-eager), else 0. */
export function cudaGraphBytes(config: ModelConfig, args: EngineArgs): number {
  if (args.enforceEager || args.v0 || !versionAtLeast(args, 0, 21)) return 0;
  const layers = languageConfig(config).num_hidden_layers ?? 0;
  const stage = Math.ceil(layers / Math.max(1, args.pipelineParallelSize));
  return (
    (CALIBRATION.cudaGraphGiB + CALIBRATION.cudaGraphGiBPerLayer * stage) * GiB
  );
}

/** One GPU's budget, in bytes. @public */
export interface GpuBudget {
  totalBytes: number;
  /** total × gpu_memory_utilization. */
  requestedBytes: number;
  weightsBytes: number;
  activationBytes: number;
  nonTorchBytes: number;
  /** CUDA graphs, when vLLM takes them from the budget (0.21 and later). */
  cudaGraphBytes: number;
  /** What is left for KV cache (negative: nothing is). */
  kvCacheBytes: number;
}

/** The memory budget of one GPU of a replica (the last pipeline stage: it holds the LM head and the sampler). @public */
export function gpuBudget(
  model: ModelEntry,
  args: EngineArgs,
  gpu: GpuSpec,
  weights: number,
  maxModelLen: number,
): GpuBudget {
  const shards =
    Math.max(1, args.tensorParallelSize) *
    Math.max(1, args.pipelineParallelSize);
  const weightsPerGpu = weights / shards;
  const activation = activationBytes(model.config, args, gpu, maxModelLen);
  const nonTorch = nonTorchBytes(args, gpu);
  const graphs = cudaGraphBytes(model.config, args);
  const requested = gpu.memoryBytes * args.gpuMemoryUtilization;
  const kv =
    args.kvCacheMemoryBytes ??
    requested - weightsPerGpu - activation - nonTorch - graphs;
  return {
    totalBytes: gpu.memoryBytes,
    requestedBytes: requested,
    weightsBytes: weightsPerGpu,
    activationBytes: activation,
    nonTorchBytes: nonTorch,
    cudaGraphBytes: graphs,
    kvCacheBytes: kv,
  };
}

/** KV cache tokens per replica: whole blocks of `block_size` tokens in the KV memory of one GPU. @public */
export function kvCacheTokens(
  kvCacheBytes: number,
  bytesPerToken: number,
  blockSize: number,
): number {
  if (kvCacheBytes <= 0 || bytesPerToken <= 0) return 0;
  const blocks = Math.floor(kvCacheBytes / (bytesPerToken * blockSize));
  return blocks * blockSize;
}

export const GIB = GiB;
