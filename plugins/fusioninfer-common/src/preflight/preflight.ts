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
 * Pre-flight: before anything is applied, per role of an InferenceService — will vLLM start on the GPUs its pods
 * will get, how much KV cache it will have and how many requests of full length fit, and will the gang of its pods
 * fit the cluster's free GPUs, node by node. Pure: the caller brings the cluster (a snapshot of nodes and free
 * resources, see clusterSnapshotOf) and the models. Answers "unknown" rather than guess.
 */

import { plural } from '../plural';
import { parseQuantity, quantityToNumber } from '../quantity';
import { summarizeInferenceService, RoleSummary } from '../render';
import { KubeObject, Pod } from '../types';
import { ModelCatalog, ModelEntry } from './catalog';
import { EngineArgs, readEngineArgs } from './engineArgs';
import { GpuSpec, gpuFromNodeLabels } from './gpus';
import {
  GIB,
  GpuBudget,
  gpuBudget,
  headDim,
  kvBytesPerToken,
  kvCacheTokens,
  isMla as isMlaConfig,
  languageConfig,
  maxConcurrency,
  versionAtLeast,
  weightsBytes,
} from './memory';

/** Resource amounts (cores, bytes, GPUs, pods), as numbers. @public */
export type ResourceAmounts = Record<string, number>;

/** One schedulable node as the pre-flight sees it. @public */
export interface SnapshotNode {
  name: string;
  labels: Record<string, string>;
  allocatable: ResourceAmounts;
  /** Allocatable minus what the pods bound to it request. */
  free: ResourceAmounts;
  /** Its GPU, from GPU feature discovery's labels (absent: unknown). */
  gpu?: GpuSpec;
}

/** A Volcano queue's GPU capability and what its running PodGroups hold. @public */
export interface SnapshotQueue {
  name: string;
  /** `spec.capability['nvidia.com/gpu']`; absent: unlimited. */
  capabilityGpus?: number;
  /** GPUs its admitted PodGroups hold now. */
  allocatedGpus: number;
}

/** The cluster a pre-flight checks against. @public */
export interface ClusterSnapshot {
  nodes: SnapshotNode[];
  queues?: SnapshotQueue[];
}

const GPU = 'nvidia.com/gpu';
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function amounts(list: unknown): ResourceAmounts {
  const out: ResourceAmounts = {};
  if (!isObj(list)) return out;
  for (const [k, v] of Object.entries(list)) {
    const q =
      typeof v === 'string' || typeof v === 'number'
        ? parseQuantity(v)
        : undefined;
    const n = q ? quantityToNumber(q) : NaN;
    if (Number.isFinite(n) && n > 0) out[k] = n;
  }
  return out;
}

/**
 * What a pod spec requests from its node, as the scheduler adds it up: each container's request (else its limit)
 * summed, or the largest init container's when larger. @public
 */
export function podSpecRequests(spec: unknown): ResourceAmounts {
  const s = isObj(spec) ? spec : {};
  const out: ResourceAmounts = {};
  const each = (list: unknown, f: (r: ResourceAmounts) => void) => {
    if (Array.isArray(list))
      for (const c of list.slice(0, 1000)) {
        const res = isObj(c) && isObj(c.resources) ? c.resources : {};
        f({ ...amounts(res.limits), ...amounts(res.requests) });
      }
  };
  each(s.containers, r => {
    for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  });
  each(s.initContainers, r => {
    for (const [k, v] of Object.entries(r)) out[k] = Math.max(out[k] ?? 0, v);
  });
  return out;
}

/** Options of {@link clusterSnapshotOf}. @public */
export interface SnapshotOptions {
  /** Pods whose resources count as free (the service's own pods, which an update replaces). */
  ignorePod?: (pod: Pod) => boolean;
  /** Volcano queues (scheduling.volcano.sh/v1beta1 Queue objects) and PodGroups, for the queue check. */
  queues?: KubeObject[];
  podGroups?: KubeObject[];
}

/**
 * The snapshot of a cluster from its Node and Pod objects: per schedulable node its allocatable resources, what the
 * bound, non-terminated pods leave free, and its GPU from the node labels; nodes sorted by name. Never throws.
 * @public
 */
export function clusterSnapshotOf(
  nodes: readonly KubeObject[],
  pods: readonly Pod[],
  options: SnapshotOptions = {},
): ClusterSnapshot {
  const byNode = new Map<string, SnapshotNode>();
  for (const n of nodes) {
    const node = n as KubeObject & {
      spec?: { unschedulable?: boolean };
      status?: { allocatable?: unknown };
    };
    const name = node.metadata?.name;
    if (!name || node.spec?.unschedulable) continue;
    const allocatable = amounts(node.status?.allocatable);
    const labels = { ...(node.metadata.labels ?? {}) };
    const gpu = gpuFromNodeLabels(labels);
    byNode.set(name, {
      name,
      labels,
      allocatable,
      free: { ...allocatable },
      ...(gpu ? { gpu } : {}),
    });
  }
  for (const p of pods) {
    const node = p.spec?.nodeName ? byNode.get(p.spec.nodeName) : undefined;
    if (
      !node ||
      p.status?.phase === 'Succeeded' ||
      p.status?.phase === 'Failed'
    )
      continue;
    if (options.ignorePod?.(p)) continue;
    for (const [k, v] of Object.entries(podSpecRequests(p.spec)))
      node.free[k] = (node.free[k] ?? 0) - v;
    node.free.pods = (node.free.pods ?? 110) - 1;
  }
  const queues: SnapshotQueue[] = [];
  for (const q of options.queues ?? []) {
    const cap = amounts((q as any).spec?.capability)[GPU];
    const allocated = (options.podGroups ?? [])
      .filter(
        pg =>
          ((pg as any).spec?.queue ?? 'default') === q.metadata.name &&
          ['Running', 'Inqueue'].includes((pg as any).status?.phase),
      )
      .reduce(
        (s, pg) => s + (amounts((pg as any).spec?.minResources)[GPU] ?? 0),
        0,
      );
    queues.push({
      name: q.metadata.name ?? '',
      ...(cap !== undefined ? { capabilityGpus: cap } : {}),
      allocatedGpus: allocated,
    });
  }
  return {
    nodes: [...byNode.values()].sort((a, b) => a.name.localeCompare(b.name)),
    ...(queues.length ? { queues } : {}),
  };
}

/** How sure an answer is. @public */
export type PreflightVerdict = 'starts' | 'does-not-start' | 'unknown';

/** One finding of a role's check. @public */
export interface PreflightFinding {
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** The memory of one GPU of a replica, in GiB (2 decimals). @public */
export interface PreflightMemory {
  gpu: { product?: string; totalGiB: number; source: string };
  requestedGiB: number;
  weightsGiB: number;
  weightsFrom: 'checkpoint' | 'parameters' | 'architecture';
  activationGiB: number;
  nonTorchGiB: number;
  kvCacheGiB: number;
  /** Bytes one token of KV cache takes on one GPU. */
  kvBytesPerToken: number;
  /** KV cache tokens per replica (what vLLM logs as "GPU KV cache size"). */
  kvCacheTokens: number;
  maxModelLen: number;
  /** Requests of `maxModelLen` tokens the KV cache holds at once (vLLM's "Maximum concurrency"). */
  maxConcurrency: number;
  /** CUDA graphs taken from the budget (vLLM 0.21 and later without --enforce-eager; else 0). */
  cudaGraphGiB: number;
}

/** The pre-flight answer for one role. @public */
export interface RolePreflight {
  role: string;
  componentType?: string;
  verdict: PreflightVerdict;
  /** The first line vLLM would print when it does not start. */
  error?: string;
  /** A one-line fix for a "does not start". */
  fix?: string;
  engine: Pick<
    EngineArgs,
    | 'engine'
    | 'model'
    | 'tensorParallelSize'
    | 'pipelineParallelSize'
    | 'maxModelLen'
    | 'gpuMemoryUtilization'
    | 'kvCacheDtype'
    | 'dtype'
    | 'quantization'
    | 'enforceEager'
    | 'maxNumSeqs'
    | 'maxNumBatchedTokens'
  >;
  /** The catalog entry used (absent: unknown model). */
  model?: { id: string; source?: string };
  /** GPUs of one replica's group of pods (what TP × PP must equal). */
  gpusPerReplica: number;
  memory?: PreflightMemory;
  findings: PreflightFinding[];
}

/** Whether the gang (or the pods, when not gang-scheduled) fit the cluster's free resources now. @public */
export interface GangPreflight {
  /** Absent: no cluster snapshot (unknown). */
  fits?: boolean;
  message: string;
  /** Pods placed / to place in the simulation. */
  placed: number;
  pods: number;
  /** The PodGroup's minMember when gang-scheduled. */
  minMember?: number;
  /** The node shape that blocks, in words ("needs 8 free GPUs on one node; the largest free block is 6 on gpu-node-2"). */
  blocking?: string;
}

/** The whole pre-flight answer. @public */
export interface PreflightReport {
  verdict: PreflightVerdict;
  summary: string;
  roles: RolePreflight[];
  gang: GangPreflight;
}

/** Options of {@link preflight}. @public */
export interface PreflightOptions {
  /** The GPU to assume when the nodes do not say (the CLI's `--gpu` / `--gpu-memory`). */
  gpu?: GpuSpec;
  /** Roles with more pods than this are not simulated pod by pod (the answer says so). Default 10,000. */
  maxSimulatedPods?: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const gib = (b: number) => round2(b / GIB);

/** Whether a pod's nodeSelector selects a node (every key with the same value). */
const selects = (selector: Record<string, unknown>, n: SnapshotNode) =>
  Object.entries(selector).every(([k, v]) => n.labels[k] === v);

/** The nodes a role's pods may land on: matching its nodeSelector, with GPUs when it asks for GPUs. */
function candidateNodes(
  snapshot: ClusterSnapshot | undefined,
  podSpec: Record<string, unknown>,
  gpusPerPod: number,
): SnapshotNode[] {
  if (!snapshot) return [];
  const selector = isObj(podSpec.nodeSelector)
    ? (podSpec.nodeSelector as Record<string, unknown>)
    : {};
  return snapshot.nodes.filter(
    n =>
      selects(selector, n) &&
      (gpusPerPod <= 0 || (n.allocatable[GPU] ?? 0) > 0),
  );
}

/** The GPU a role's pods get: the smallest among the nodes they may land on, else the option's. */
function roleGpu(
  nodes: SnapshotNode[],
  fallback: GpuSpec | undefined,
  findings: PreflightFinding[],
): GpuSpec | undefined {
  const known = nodes.filter(n => n.gpu).map(n => n.gpu!);
  if (known.length === 0) return fallback;
  const smallest = known.reduce((a, b) =>
    b.memoryBytes < a.memoryBytes ? b : a,
  );
  const sizes = new Set(known.map(g => gib(g.memoryBytes)));
  if (sizes.size > 1)
    findings.push({
      severity: 'info',
      message: `its pods may land on GPUs of ${[...sizes].sort((a, b) => a - b).join(', ')} GiB; the check uses the smallest (${smallest.product ?? `${gib(smallest.memoryBytes)} GiB`})`,
    });
  if (known.length < nodes.length)
    findings.push({
      severity: 'info',
      message: `${plural(nodes.length - known.length, 'candidate node')} ${nodes.length - known.length === 1 ? 'does' : 'do'} not label ${nodes.length - known.length === 1 ? 'its' : 'their'} GPU memory (nvidia.com/gpu.memory)`,
    });
  return smallest;
}

const TP_STEPS = [1, 2, 4, 8, 16, 32, 64];

type MemoryOutcome = {
  verdict: PreflightVerdict;
  error?: string;
  memory?: PreflightMemory;
  /** The longest request the KV cache holds, when one of max-model-len does not fit. */
  longest?: number;
};

/** The memory check of one configuration (used for the role, and again to find a fix). */
function memoryCheck(
  model: ModelEntry,
  args: EngineArgs,
  gpu: GpuSpec,
): MemoryOutcome | undefined {
  const c = languageConfig(model.config);
  const weights = weightsBytes(model, args);
  const perToken = kvBytesPerToken(model.config, args);
  const derivedMax = c.max_position_embeddings;
  if (!weights || !perToken || !derivedMax) return undefined;
  const maxModelLen = args.maxModelLen ?? derivedMax;
  const budget: GpuBudget = gpuBudget(
    model,
    args,
    gpu,
    weights.bytes,
    maxModelLen,
  );
  const tokens = kvCacheTokens(budget.kvCacheBytes, perToken, args.blockSize);
  const concurrency = maxConcurrency(model.config, args, tokens, maxModelLen);
  const memory: PreflightMemory = {
    gpu: {
      ...(gpu.product ? { product: gpu.product } : {}),
      totalGiB: gib(gpu.memoryBytes),
      source: gpu.source,
    },
    requestedGiB: gib(budget.requestedBytes),
    weightsGiB: gib(budget.weightsBytes),
    weightsFrom: weights.from,
    activationGiB: gib(budget.activationBytes),
    nonTorchGiB: gib(budget.nonTorchBytes),
    cudaGraphGiB: gib(budget.cudaGraphBytes),
    kvCacheGiB: gib(Math.max(0, budget.kvCacheBytes)),
    kvBytesPerToken: Math.round(perToken),
    kvCacheTokens: tokens,
    maxModelLen,
    maxConcurrency: round2(concurrency),
  };
  if (budget.weightsBytes > budget.totalBytes)
    return {
      verdict: 'does-not-start',
      error: `torch.OutOfMemoryError: CUDA out of memory (the weights take ${memory.weightsGiB} GiB of a ${memory.gpu.totalGiB} GiB GPU)`,
      memory,
    };
  if (budget.kvCacheBytes <= 0)
    return {
      verdict: 'does-not-start',
      error:
        'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
      memory,
    };
  if (concurrency < 1) {
    // The longest request the cache holds: tokens for a uniform model; more for a hybrid (sliding layers hold only
    // their window of it).
    let lo = Math.floor(tokens / args.blockSize);
    let hi = Math.floor(maxModelLen / args.blockSize);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (maxConcurrency(model.config, args, tokens, mid * args.blockSize) >= 1)
        lo = mid;
      else hi = mid - 1;
    }
    const longest = lo * args.blockSize;
    const needGiB = round2(
      concurrency > 0
        ? budget.kvCacheBytes / concurrency / GIB
        : (perToken * maxModelLen) / GIB,
    );
    if (args.v0)
      return {
        verdict: 'does-not-start',
        error: `ValueError: The model's max seq len (${maxModelLen}) is larger than the maximum number of tokens that can be stored in KV cache (${tokens}). Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.`,
        memory,
        longest,
      };
    return {
      verdict: 'does-not-start',
      longest,
      error: `ValueError: To serve at least one request with the models's max seq len (${maxModelLen}), (${needGiB} GiB KV cache is needed, which is larger than the available KV cache memory (${memory.kvCacheGiB} GiB). Based on the available memory, the estimated maximum model length is ${longest}. Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.`,
      memory,
    };
  }
  return { verdict: 'starts', memory };
}

/** A one-line fix for a configuration that does not start: the largest max-model-len, fp8 KV cache, or more GPUs. */
function fixFor(
  model: ModelEntry,
  args: EngineArgs,
  gpu: GpuSpec,
  outcome: MemoryOutcome,
  heads: number | undefined,
  kvHeads: number | undefined,
): string | undefined {
  const fixes: string[] = [];
  if (outcome.longest && outcome.longest > 0)
    fixes.push(`--max-model-len ${outcome.longest}`);
  if (args.kvCacheDtype === 'auto') {
    const fp8 = memoryCheck(model, { ...args, kvCacheDtype: 'fp8' }, gpu);
    if (fp8?.verdict === 'starts')
      fixes.push(
        `--kv-cache-dtype fp8 (${fp8.memory!.kvCacheTokens.toLocaleString('en-US')} tokens of KV cache)`,
      );
  }
  for (const tp of TP_STEPS) {
    if (tp <= args.tensorParallelSize) continue;
    if (heads && heads % tp !== 0) continue;
    if (kvHeads && kvHeads % tp !== 0 && tp % kvHeads !== 0) continue;
    const next = memoryCheck(model, { ...args, tensorParallelSize: tp }, gpu);
    if (next?.verdict === 'starts') {
      fixes.push(
        `--tensor-parallel-size ${tp} with ${plural(tp * args.pipelineParallelSize, 'GPU')} per replica (${next.memory!.kvCacheTokens.toLocaleString('en-US')} tokens of KV cache)`,
      );
      break;
    }
  }
  if (fixes.length === 0) return undefined;
  return `set ${fixes.join(', or ')}`;
}

/** The engine fields a report carries. */
function engineView(args: EngineArgs): RolePreflight['engine'] {
  const out: RolePreflight['engine'] = {
    engine: args.engine,
    tensorParallelSize: args.tensorParallelSize,
    pipelineParallelSize: args.pipelineParallelSize,
    gpuMemoryUtilization: args.gpuMemoryUtilization,
    kvCacheDtype: args.kvCacheDtype,
    dtype: args.dtype,
    enforceEager: args.enforceEager,
  };
  if (args.model !== undefined) out.model = args.model;
  if (args.maxModelLen !== undefined) out.maxModelLen = args.maxModelLen;
  if (args.quantization !== undefined) out.quantization = args.quantization;
  if (args.maxNumSeqs !== undefined) out.maxNumSeqs = args.maxNumSeqs;
  if (args.maxNumBatchedTokens !== undefined)
    out.maxNumBatchedTokens = args.maxNumBatchedTokens;
  return out;
}

/** The pre-flight of one workload role. */
function checkRole(
  rawRole: Record<string, unknown>,
  summary: RoleSummary,
  snapshot: ClusterSnapshot | undefined,
  catalog: ModelCatalog,
  options: PreflightOptions,
): RolePreflight {
  const template = isObj(rawRole.template) ? rawRole.template : {};
  const podSpec = isObj(template.spec) ? template.spec : {};
  const containers = Array.isArray(podSpec.containers)
    ? podSpec.containers
    : [];
  const parsed = containers.map(readEngineArgs);
  const args =
    parsed.find(a => a.engine === 'vllm') ??
    parsed[0] ??
    readEngineArgs(undefined);
  const findings: PreflightFinding[] = [];
  const gpusPerPod = summary.acceleratorsPerPod[GPU] ?? 0;
  const gpusPerReplica = gpusPerPod * summary.nodesPerReplica;
  const out: RolePreflight = {
    role: summary.name,
    ...(summary.componentType ? { componentType: summary.componentType } : {}),
    verdict: 'unknown',
    engine: engineView(args),
    gpusPerReplica,
    findings,
  };
  const fail = (error: string, fix?: string) => {
    out.verdict = 'does-not-start';
    out.error ??= error;
    if (fix && !out.fix) out.fix = fix;
  };
  if (args.engine !== 'vllm') {
    findings.push({
      severity: 'info',
      message:
        'its model server is not vLLM (neither its command nor its image says so): the pre-flight reads only vLLM’s arguments',
    });
    return out;
  }
  for (const [flag, value] of Object.entries(args.unreadable))
    findings.push({
      severity: 'error',
      message: `vLLM cannot read ${flag} ${JSON.stringify(value)}`,
    });
  if (Object.keys(args.unreadable).length)
    fail(
      `vllm: error: argument ${Object.keys(args.unreadable)[0]}: invalid value`,
    );
  const world = args.tensorParallelSize * args.pipelineParallelSize;
  if (gpusPerReplica <= 0)
    fail(
      'RuntimeError: Failed to infer device type (the pods request no nvidia.com/gpu)',
      `request nvidia.com/gpu: ${world} per replica (TP ${args.tensorParallelSize} × PP ${args.pipelineParallelSize})`,
    );
  else if (world > gpusPerReplica)
    fail(
      `ValueError: The number of required GPUs exceeds the total number of available GPUs in the placement group. (TP ${args.tensorParallelSize} × PP ${args.pipelineParallelSize} = ${world}; a replica has ${plural(gpusPerReplica, 'GPU')})`,
      `give a replica ${plural(world, 'GPU')} (${summary.nodesPerReplica > 1 ? `${world / summary.nodesPerReplica} per pod on ${summary.nodesPerReplica} nodes` : `nvidia.com/gpu: ${world}`}), or lower --tensor-parallel-size`,
    );
  else if (world < gpusPerReplica)
    findings.push({
      severity: 'warning',
      message: `vLLM uses ${world} of the ${plural(gpusPerReplica, 'GPU')} of a replica (TP ${args.tensorParallelSize} × PP ${args.pipelineParallelSize}); ${gpusPerReplica - world} stay idle`,
    });
  if (!args.model) {
    findings.push({
      severity: 'info',
      message: 'no model named (--model or `vllm serve MODEL`)',
    });
    return out;
  }
  const model = catalog.find(args.model);
  if (!model) {
    findings.push({
      severity: 'info',
      message: `model ${args.model} is unknown to the pre-flight: memory and KV cache are not estimated (add it to fusioninfer.preflight.models, or give the CLI --model-config)`,
    });
    return out;
  }
  out.model = {
    id: model.id,
    ...(model.source ? { source: model.source } : {}),
  };
  const c = languageConfig(model.config);
  const heads = c.num_attention_heads;
  const kvHeads = c.num_key_value_heads ?? heads;
  if (heads && heads % args.tensorParallelSize !== 0)
    fail(
      `ValueError: Total number of attention heads (${heads}) must be divisible by tensor parallel size (${args.tensorParallelSize}).`,
      `set --tensor-parallel-size to a divisor of ${heads}`,
    );
  // What the model's layers assert while they are built (vLLM's `divide`): the vocabulary padded to 64 is split
  // over the GPUs first (the embedding), then the KV heads (or each GPU holds one replicated head).
  const paddedVocab = c.vocab_size ? Math.ceil(c.vocab_size / 64) * 64 : 0;
  if (paddedVocab && paddedVocab % args.tensorParallelSize !== 0)
    fail(
      `AssertionError: ${paddedVocab} is not divisible by ${args.tensorParallelSize}`,
      `set --tensor-parallel-size to a divisor of ${paddedVocab} (the vocabulary padded to 64)`,
    );
  if (
    kvHeads &&
    !isMlaConfig(c) &&
    args.tensorParallelSize <= kvHeads &&
    kvHeads % args.tensorParallelSize !== 0
  )
    fail(
      `AssertionError: ${kvHeads} is not divisible by ${args.tensorParallelSize}`,
      `set --tensor-parallel-size to a divisor of ${kvHeads} (the KV heads)`,
    );
  if (c.num_hidden_layers && args.pipelineParallelSize > c.num_hidden_layers)
    fail(
      `ValueError: pipeline parallel size (${args.pipelineParallelSize}) is larger than the number of hidden layers (${c.num_hidden_layers})`,
    );
  if (
    args.maxModelLen &&
    c.max_position_embeddings &&
    args.maxModelLen > c.max_position_embeddings
  )
    fail(
      // vLLM 0.10 and later check their config with pydantic, which words it "Value error, …".
      `${args.v0 || !versionAtLeast(args, 0, 10) ? 'ValueError: ' : 'Value error, '}User-specified max_model_len (${args.maxModelLen}) is greater than the derived max_model_len (max_position_embeddings=${c.max_position_embeddings} or model_max_length=None in model's config.json).`,
      `set --max-model-len ${c.max_position_embeddings} or less`,
    );
  if (c.layer_types?.some(t => t.includes('linear') || t.includes('mamba')))
    findings.push({
      severity: 'info',
      message:
        'hybrid model with linear-attention or state-space layers: their state is not in the KV cache estimate',
    });
  if (!headDim(c) && !c.kv_lora_rank)
    findings.push({
      severity: 'info',
      message: 'the model config lacks the head size',
    });
  const gpu = roleGpu(
    candidateNodes(snapshot, podSpec, gpusPerPod),
    options.gpu,
    findings,
  );
  if (!gpu) {
    findings.push({
      severity: 'info',
      message:
        'GPU memory unknown: no node labels nvidia.com/gpu.product or nvidia.com/gpu.memory (the CLI takes --gpu or --gpu-memory)',
    });
    return out;
  }
  if (gpusPerReplica <= 0 || out.verdict === 'does-not-start') {
    // A structural failure stops vLLM before the memory matters; show the budget anyway when it can be computed.
    const m = memoryCheck(model, args, gpu);
    if (m?.memory) out.memory = m.memory;
    return out;
  }
  const outcome = memoryCheck(model, args, gpu);
  if (!outcome) {
    findings.push({
      severity: 'info',
      message: `the catalog entry of ${model.id} lacks the layers, heads or context length`,
    });
    return out;
  }
  if (outcome.memory) out.memory = outcome.memory;
  if (outcome.verdict === 'does-not-start') {
    fail(outcome.error!, fixFor(model, args, gpu, outcome, heads, kvHeads));
  } else out.verdict = 'starts';
  return out;
}

/** Pods to place for the gang check: per role, `pods` copies of its request. */
interface PodShape {
  role: string;
  requests: ResourceAmounts;
  selector: Record<string, unknown>;
  count: number;
  gang: boolean;
}

/**
 * First-fit of pods (largest GPU request first) over the nodes' free resources, as the development cluster's
 * scheduler binds a gang; returns the nodes with what was placed taken out of their free resources.
 */
function place(
  shapes: PodShape[],
  nodes: readonly SnapshotNode[],
): { placed: number; failed?: PodShape; nodes: SnapshotNode[] } {
  const out = nodes.map(n => ({ ...n, free: { ...n.free } }));
  let placed = 0;
  const sorted = [...shapes].sort(
    (a, b) => (b.requests[GPU] ?? 0) - (a.requests[GPU] ?? 0),
  );
  for (const s of sorted) {
    const req = { ...s.requests, pods: 1 };
    const fits = (n: SnapshotNode) =>
      selects(s.selector, n) &&
      Object.entries(req).every(([r, v]) => v <= 0 || (n.free[r] ?? 0) >= v);
    // Free amounts only fall, so a node that cannot take this shape never will: one pass over the nodes per shape.
    let i = 0;
    for (let k = 0; k < s.count; k++) {
      while (i < out.length && !fits(out[i])) i++;
      if (i >= out.length) return { placed, failed: s, nodes: out };
      for (const [r, v] of Object.entries(req))
        out[i].free[r] = (out[i].free[r] ?? 0) - v;
      placed++;
    }
  }
  return { placed, nodes: out };
}

/** The largest free GPU block among nodes a shape may use, with its node. */
function largestFree(nodes: SnapshotNode[], selector: Record<string, unknown>) {
  let best = { gpus: 0, node: '' };
  for (const n of nodes) {
    if (!selects(selector, n)) continue;
    const g = Math.max(0, n.free[GPU] ?? 0);
    if (g > best.gpus) best = { gpus: g, node: n.name };
  }
  return best;
}

function gangCheck(
  isvc: unknown,
  roles: RoleSummary[],
  snapshot: ClusterSnapshot | undefined,
  options: PreflightOptions,
): GangPreflight {
  const rawRoles =
    isObj(isvc) && isObj(isvc.spec) && Array.isArray(isvc.spec.roles)
      ? isvc.spec.roles
      : [];
  const shapes: PodShape[] = [];
  roles.forEach((r, i) => {
    if (r.componentType === 'router' || r.pods <= 0) return;
    const raw = isObj(rawRoles[i]) ? rawRoles[i] : {};
    const template = isObj(raw.template) ? raw.template : {};
    const spec = isObj(template.spec) ? template.spec : {};
    shapes.push({
      role: r.name,
      requests: podSpecRequests(spec),
      selector: isObj(spec.nodeSelector) ? spec.nodeSelector : {},
      count: r.pods,
      gang: r.gangScheduled,
    });
  });
  const pods = shapes.reduce((s, x) => s + x.count, 0);
  const gang = shapes.filter(s => s.gang);
  const minMember = gang.reduce((s, x) => s + x.count, 0);
  const base = { pods, ...(gang.length ? { minMember } : {}) };
  if (!snapshot)
    return {
      ...base,
      placed: 0,
      message: 'cluster unknown: no snapshot of its nodes',
    };
  const max = options.maxSimulatedPods ?? 10_000;
  if (pods > max)
    return {
      ...base,
      placed: 0,
      message: `not simulated: ${plural(pods, 'pod')} (more than ${max})`,
    };
  const gpuNodes = snapshot.nodes.filter(n => (n.allocatable[GPU] ?? 0) > 0);
  const freeGpus = gpuNodes.reduce(
    (s, n) => s + Math.max(0, n.free[GPU] ?? 0),
    0,
  );
  const totalGpus = gpuNodes.reduce((s, n) => s + (n.allocatable[GPU] ?? 0), 0);
  const cluster = `${freeGpus} of ${plural(totalGpus, 'GPU')} free on ${plural(gpuNodes.length, 'node')}`;
  const needGpus = shapes.reduce(
    (s, x) => s + (x.requests[GPU] ?? 0) * x.count,
    0,
  );
  // Gang first, all or nothing (Volcano binds a PodGroup's pods together), then the other pods one by one.
  const gangResult = place(gang, snapshot.nodes);
  const rest = shapes.filter(s => !s.gang);
  /** Why a shape found no node, on the nodes as the placement so far left them. */
  const describe = (s: PodShape, after: SnapshotNode[], placed: number) => {
    const need = s.requests[GPU] ?? 0;
    const big = largestFree(after, s.selector);
    const others = placed
      ? ` once the other ${plural(placed, 'pod')} ${placed === 1 ? 'is' : 'are'} placed`
      : '';
    if (need > 0 && big.gpus < need)
      return `a pod of ${s.role} needs ${plural(need, 'free GPU')} on one node; the largest free block${others} is ${big.gpus}${big.node ? ` on ${big.node}` : ''}`;
    return `a pod of ${s.role} fits no node${others} (it asks for ${Object.entries(
      s.requests,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`;
  };
  const queue = snapshot.queues?.find(q => q.name === 'default');
  const gangGpus = gang.reduce(
    (s, x) => s + (x.requests[GPU] ?? 0) * x.count,
    0,
  );
  if (
    gang.length &&
    queue?.capabilityGpus !== undefined &&
    queue.allocatedGpus + gangGpus > queue.capabilityGpus
  )
    return {
      ...base,
      placed: 0,
      fits: false,
      blocking: `the Volcano queue ${queue.name} allows ${plural(queue.capabilityGpus, 'GPU')} and ${queue.allocatedGpus} are in use`,
      message: `does not fit: the gang needs ${plural(gangGpus, 'GPU')}; the Volcano queue ${queue.name} allows ${queue.capabilityGpus} and ${queue.allocatedGpus} are in use`,
    };
  if (gangResult.failed)
    return {
      ...base,
      placed: 0,
      fits: false,
      blocking: describe(
        gangResult.failed,
        gangResult.nodes,
        gangResult.placed,
      ),
      message: `does not fit: the gang of ${plural(minMember, 'pod')} must start together and only ${gangResult.placed} can be placed now — ${gangGpus > freeGpus ? `it needs ${plural(gangGpus, 'GPU')}; ${cluster}` : `${describe(gangResult.failed, gangResult.nodes, gangResult.placed)} (${cluster})`}`,
    };
  // The other pods one by one, on what the gang left.
  const restResult = place(rest, gangResult.nodes);
  if (restResult.failed)
    return {
      ...base,
      placed: gangResult.placed + restResult.placed,
      fits: false,
      blocking: describe(
        restResult.failed,
        restResult.nodes,
        gangResult.placed + restResult.placed,
      ),
      message: `does not fit: ${gangResult.placed + restResult.placed} of ${plural(pods, 'pod')} can be placed now — ${describe(restResult.failed, restResult.nodes, gangResult.placed + restResult.placed)} (${cluster})`,
    };
  return {
    ...base,
    placed: pods,
    fits: true,
    message:
      pods === 0
        ? 'no pods to place'
        : `fits: ${plural(pods, 'pod')} with ${plural(needGpus, 'GPU')}${gang.length ? `, the gang of ${minMember} together` : ''} (${cluster})`,
  };
}

/**
 * The pre-flight of an InferenceService: per workload role whether vLLM starts on the GPUs its pods get (memory, KV
 * cache tokens, concurrency at max-model-len, the error it would print and a fix), and whether its pods — the gang
 * together — fit the cluster's free resources now. Pure; never throws on any input.
 * @public
 */
export function preflight(
  isvc: unknown,
  snapshot: ClusterSnapshot | undefined,
  models: ModelCatalog | readonly ModelEntry[] = new ModelCatalog(),
  options: PreflightOptions = {},
): PreflightReport {
  const catalog =
    models instanceof ModelCatalog ? models : new ModelCatalog(models);
  const summary = summarizeInferenceService(isvc);
  const rawRoles =
    isObj(isvc) && isObj(isvc.spec) && Array.isArray(isvc.spec.roles)
      ? isvc.spec.roles
      : [];
  const roles: RolePreflight[] = [];
  summary.roles.forEach((r, i) => {
    if (r.componentType === 'router' || !r.componentType) return;
    const raw = isObj(rawRoles[i]) ? rawRoles[i] : {};
    try {
      roles.push(checkRole(raw, r, snapshot, catalog, options));
    } catch {
      roles.push({
        role: r.name,
        verdict: 'unknown',
        engine: engineView(readEngineArgs(undefined)),
        gpusPerReplica: 0,
        findings: [{ severity: 'info', message: 'could not be read' }],
      });
    }
  });
  const gang = gangCheck(isvc, summary.roles, snapshot, options);
  let verdict: PreflightVerdict = 'unknown';
  if (roles.some(r => r.verdict === 'does-not-start'))
    verdict = 'does-not-start';
  else if (roles.length && roles.every(r => r.verdict === 'starts'))
    verdict = 'starts';
  const failing = roles.filter(r => r.verdict === 'does-not-start');
  const unknown = roles.filter(r => r.verdict === 'unknown');
  const parts: string[] = [];
  if (failing.length)
    parts.push(
      `${failing.map(r => r.role).join(', ')} will not start: ${failing[0].error?.split('. ')[0]}`,
    );
  else if (roles.length && !unknown.length)
    parts.push(
      `every role starts (${roles
        .map(r =>
          r.memory
            ? `${r.role}: ${r.memory.kvCacheTokens.toLocaleString('en-US')} KV tokens, ${r.memory.maxConcurrency}× at ${r.memory.maxModelLen.toLocaleString('en-US')}`
            : r.role,
        )
        .join('; ')})`,
    );
  if (unknown.length)
    parts.push(`${unknown.map(r => r.role).join(', ')}: unknown`);
  parts.push(`placement ${gang.message}`);
  return { verdict, summary: parts.join('; '), roles, gang };
}
