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

const GiB = 1024 ** 3;

/** Figures that stand in for what vLLM measures when it profiles; see the golden test. @public */
export const CALIBRATION = {
  /** Memory outside PyTorch on one GPU (CUDA context not counted by vLLM, cuBLAS workspace), GiB. */
  nonTorchGiB: 0.25,
  /** Added per GPU when tensor or pipeline parallel (NCCL buffers, custom all-reduce), GiB. */
  parallelNonTorchGiB: 0.6,
  /** Bytes of activations per batched token, per unit of (hidden size + per-GPU intermediate size). */
  activationBytesPerTokenWidth: 12,
  /** Copies of the `[max_num_seqs, vocab]` float32 logits alive at the sampler's peak. */
  samplerLogitCopies: 2,
  /** Quantized checkpoints: bytes per weight of their scales and zero points on top of `bits / 8`. */
  quantOverheadBytesPerWeight: 0.03,
};

/** What vLLM's defaults depend on: GPUs of 70 GiB and more get larger batches (arg_utils.py). */
const LARGE_GPU_BYTES = 70 * GiB;

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
 * Bytes of KV cache one token takes on one GPU of the given stage, over all the stage's attention layers: keys and
 * values of the KV heads this GPU holds (KV heads divided by tensor parallelism, at least one: vLLM replicates when
 * there are fewer heads than GPUs), or for MLA the latent plus the rotary key, replicated on every GPU. Undefined
 * when the config lacks a field it needs.
 * @public
 */
export function kvBytesPerToken(
  config: ModelConfig,
  args: EngineArgs,
): number | undefined {
  const c = languageConfig(config);
  const layers = c.num_hidden_layers;
  if (!layers) return undefined;
  const stageLayers = Math.ceil(
    layers / Math.max(1, args.pipelineParallelSize),
  );
  const bytes = kvDtypeBytes(args);
  if (isMla(c))
    return stageLayers * (c.kv_lora_rank! + c.qk_rope_head_dim!) * bytes;
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  const dim = headDim(c);
  if (!kvHeads || !dim) return undefined;
  const perGpuHeads = Math.max(1, kvHeads / args.tensorParallelSize);
  return stageLayers * 2 * perGpuHeads * dim * bytes;
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
  const quantized = params - embed;
  return {
    bytes:
      embed * dtype +
      quantized * (bits / 8 + CALIBRATION.quantOverheadBytesPerWeight),
    from,
  };
}

/** The defaults vLLM's V1 engine picks for the OpenAI server (arg_utils.py), by GPU size. @public */
export function batchDefaults(args: EngineArgs, gpuBytes: number) {
  const large = gpuBytes >= LARGE_GPU_BYTES;
  return {
    maxNumBatchedTokens: args.maxNumBatchedTokens ?? (large ? 8192 : 2048),
    maxNumSeqs: args.maxNumSeqs ?? (large ? 1024 : 256),
  };
}

/**
 * Peak activation memory of vLLM's profiling passes on one GPU: a forward pass over `max_num_batched_tokens` tokens
 * (hidden states and the MLP's widest intermediate, shared out by tensor parallelism) and the sampler over
 * `max_num_seqs` rows of float32 logits (vocabulary shared out by tensor parallelism).
 */
export function activationBytes(
  config: ModelConfig,
  args: EngineArgs,
  gpuBytes: number,
): number {
  const c = languageConfig(config);
  const { maxNumBatchedTokens, maxNumSeqs } = batchDefaults(args, gpuBytes);
  const tp = Math.max(1, args.tensorParallelSize);
  const e = experts(c);
  const inter =
    e.n > 0
      ? (c.moe_intermediate_size ?? c.intermediate_size ?? 0) *
        Math.max(1, e.active)
      : (c.intermediate_size ?? 4 * (c.hidden_size ?? 0));
  const width = (c.hidden_size ?? 0) + inter / tp;
  const forward =
    maxNumBatchedTokens * width * CALIBRATION.activationBytesPerTokenWidth;
  const sampler =
    maxNumSeqs *
    ((c.vocab_size ?? 0) / tp) *
    4 *
    CALIBRATION.samplerLogitCopies;
  return forward + sampler;
}

/** One GPU's budget, in bytes. @public */
export interface GpuBudget {
  totalBytes: number;
  /** total × gpu_memory_utilization. */
  requestedBytes: number;
  weightsBytes: number;
  activationBytes: number;
  nonTorchBytes: number;
  /** What is left for KV cache (negative: nothing is). */
  kvCacheBytes: number;
}

/** The memory budget of one GPU of a replica. @public */
export function gpuBudget(
  model: ModelEntry,
  args: EngineArgs,
  gpuBytes: number,
  weights: number,
): GpuBudget {
  const shards =
    Math.max(1, args.tensorParallelSize) *
    Math.max(1, args.pipelineParallelSize);
  const parallel = shards > 1;
  const weightsPerGpu = weights / shards;
  const activation = activationBytes(model.config, args, gpuBytes);
  const nonTorch =
    (CALIBRATION.nonTorchGiB +
      (parallel ? CALIBRATION.parallelNonTorchGiB : 0)) *
    GiB;
  const requested = gpuBytes * args.gpuMemoryUtilization;
  const kv =
    args.kvCacheMemoryBytes ??
    requested - weightsPerGpu - activation - nonTorch;
  return {
    totalBytes: gpuBytes,
    requestedBytes: requested,
    weightsBytes: weightsPerGpu,
    activationBytes: activation,
    nonTorchBytes: nonTorch,
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
