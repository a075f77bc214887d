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
 * Model architectures for the pre-flight check: the fields of a Hugging Face `config.json` that decide the size of
 * the weights and of the KV cache, the models shipped with the plugin (models.json, each with its source), and the
 * lookup by the name a service gives (`--model`), with aliases and an optional local path or cache prefix.
 */

import shipped from './models.json';

/** The fields of a Hugging Face `config.json` the pre-flight reads (others are ignored). @public */
export interface ModelConfig {
  architectures?: string[];
  model_type?: string;
  num_hidden_layers?: number;
  hidden_size?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  vocab_size?: number;
  max_position_embeddings?: number;
  torch_dtype?: string;
  dtype?: string;
  intermediate_size?: number;
  tie_word_embeddings?: boolean;
  sliding_window?: number | null;
  /** Per-layer attention kinds (`full_attention`, `sliding_attention`, `linear_attention` …) of hybrid models. */
  layer_types?: string[];
  /** MLA (DeepSeek V2/V3): the compressed KV rank and the rotary part, cached instead of per-head keys and values. */
  kv_lora_rank?: number;
  qk_rope_head_dim?: number;
  qk_nope_head_dim?: number;
  v_head_dim?: number;
  /** Mixture of experts. */
  num_local_experts?: number;
  num_experts?: number;
  n_routed_experts?: number;
  n_shared_experts?: number;
  num_experts_per_tok?: number;
  moe_intermediate_size?: number;
  quantization_config?: { quant_method?: string; bits?: number } & Record<
    string,
    unknown
  >;
  /** Multimodal wrappers (Gemma 3, Llama 4, Mistral 3) keep the language model's fields here. */
  text_config?: ModelConfig;
}

/** A model the pre-flight knows. @public */
export interface ModelEntry {
  /** Hugging Face id, e.g. `Qwen/Qwen3-8B`. */
  id: string;
  /** Other names a service may use for it. */
  aliases?: string[];
  /** Total parameters (all experts of a MoE). */
  parameters?: number;
  /** Bytes of the checkpoint's weights (the safetensors index's `metadata.total_size`), when known. */
  weightsBytes?: number;
  /** Where the figures come from (a URL). */
  source?: string;
  config: ModelConfig;
}

const CONFIG_KEYS = new Set<string>([
  'architectures',
  'model_type',
  'num_hidden_layers',
  'hidden_size',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'vocab_size',
  'max_position_embeddings',
  'torch_dtype',
  'dtype',
  'intermediate_size',
  'tie_word_embeddings',
  'sliding_window',
  'layer_types',
  'kv_lora_rank',
  'qk_rope_head_dim',
  'qk_nope_head_dim',
  'v_head_dim',
  'num_local_experts',
  'num_experts',
  'n_routed_experts',
  'n_shared_experts',
  'num_experts_per_tok',
  'moe_intermediate_size',
  'quantization_config',
  'text_config',
]);

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The read fields of a config.json (or of an entry written flat), dropping everything else. Never throws. @public */
export function modelConfigOf(raw: unknown): ModelConfig {
  if (!isObj(raw)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!CONFIG_KEYS.has(k)) continue;
    if (k === 'text_config') {
      if (isObj(v)) out[k] = modelConfigOf(v);
    } else if (k === 'quantization_config') {
      if (isObj(v)) out[k] = { ...v };
    } else if (k === 'architectures' || k === 'layer_types') {
      if (Array.isArray(v)) out[k] = v.filter(x => typeof x === 'string');
    } else if (
      typeof v === 'number' ||
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      v === null
    )
      out[k] = v;
  }
  return out as ModelConfig;
}

/**
 * A catalog entry from JSON: `{ id, aliases?, parameters?, weightsBytes?, source?, config }` or the config's fields
 * written beside `id`. Undefined when it has no id. Never throws.
 * @public
 */
export function modelEntryOf(raw: unknown): ModelEntry | undefined {
  if (!isObj(raw) || typeof raw.id !== 'string' || !raw.id) return undefined;
  const num = (v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
  const aliases = Array.isArray(raw.aliases)
    ? raw.aliases.filter((a): a is string => typeof a === 'string')
    : undefined;
  return {
    id: raw.id,
    ...(aliases?.length ? { aliases } : {}),
    ...(num(raw.parameters) ? { parameters: num(raw.parameters) } : {}),
    ...(num(raw.weightsBytes) ? { weightsBytes: num(raw.weightsBytes) } : {}),
    ...(typeof raw.source === 'string' ? { source: raw.source } : {}),
    config: modelConfigOf(isObj(raw.config) ? raw.config : raw),
  };
}

const shippedModels: ModelEntry[] = (
  (Array.isArray(shipped) ? shipped : (shipped as any).models) as unknown[]
)
  .map(modelEntryOf)
  .filter((m): m is ModelEntry => !!m);

/** The models shipped with the plugin (see the README for their sources). @public */
export function shippedModelCatalog(): ModelEntry[] {
  return shippedModels;
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * A catalog of models: lookups by id or alias, case-insensitive, also for the forms a service gives a model in — a
 * local path or cache folder ending in the id (`/models/Qwen/Qwen3-8B`), the Hugging Face cache's
 * `models--Org--Name`, or the name alone when it is unambiguous.
 * @public
 */
export class ModelCatalog {
  private readonly byName = new Map<string, ModelEntry>();
  private readonly byBase = new Map<string, ModelEntry[]>();

  /** Later entries (app-config, a `--model-config` file) replace earlier ones of the same id. */
  constructor(entries: readonly ModelEntry[] = shippedModels) {
    for (const e of entries) {
      for (const name of [e.id, ...(e.aliases ?? [])]) {
        this.byName.set(norm(name), e);
        const base = norm(name.split('/').pop()!);
        this.byBase.set(base, [
          ...(this.byBase.get(base) ?? []).filter(x => x.id !== e.id),
          e,
        ]);
      }
    }
  }

  find(model: string | undefined): ModelEntry | undefined {
    if (!model) return undefined;
    const m = norm(model).replace(/\/+$/, '');
    const direct = this.byName.get(m);
    if (direct) return direct;
    const cache = /models--([^/]+)--([^/]+)/.exec(m);
    if (cache) {
      const hit = this.byName.get(`${cache[1]}/${cache[2]}`);
      if (hit) return hit;
    }
    const parts = m.split('/').filter(Boolean);
    if (parts.length >= 2) {
      const hit = this.byName.get(parts.slice(-2).join('/'));
      if (hit) return hit;
    }
    const base = this.byBase.get(parts[parts.length - 1] ?? m);
    return base?.length === 1 ? base[0] : undefined;
  }

  list(): ModelEntry[] {
    return [...new Set(this.byName.values())];
  }
}
