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
 * The engine arguments of a model-server container, read as vLLM reads them: `vllm serve MODEL` or `--model`,
 * `--flag value` and `--flag=value`, `-` and `_` alike in flag names (vLLM's FlexibleArgumentParser), the short
 * aliases `-tp`/`-pp`/`-dp`, and a command given as one shell line (`sh -c "vllm serve …"`).
 */

/** vLLM's engine arguments that decide whether a model starts and how much KV cache it gets. @public */
export interface EngineArgs {
  /** Which server the container runs: `vllm`, or `unknown` when neither its command nor its image says vLLM. */
  engine: 'vllm' | 'unknown';
  /**
   * vLLM's version from the image tag (`vllm/vllm-openai:v0.10.1` → `[0, 10, 1]`); absent when the tag does not say
   * (a digest, `latest`): the pre-flight then assumes the current engine.
   */
  version?: [number, number, number];
  /** The V0 engine (before 0.8, or `VLLM_USE_V1=0`): other defaults, other messages. */
  v0: boolean;
  /** The model as given (`--model` or the positional argument of `vllm serve`). */
  model?: string;
  tensorParallelSize: number;
  pipelineParallelSize: number;
  dataParallelSize: number;
  maxModelLen?: number;
  /** Default 0.9, as vLLM's. */
  gpuMemoryUtilization: number;
  /** `auto` (the model's dtype), `fp8`, `fp8_e4m3`, `fp8_e5m2`, … */
  kvCacheDtype: string;
  /** `auto`, `bfloat16`, `float16`, `float32`, `half`, `float`. */
  dtype: string;
  quantization?: string;
  enforceEager: boolean;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  /** Tokens per KV-cache block (vLLM default 16). */
  blockSize: number;
  /** `--kv-cache-memory` in bytes, when set: vLLM then skips profiling and uses exactly this. */
  kvCacheMemoryBytes?: number;
  /** Arguments that could not be read as their type (flag → the text given). */
  unreadable: Record<string, string>;
}

/** Splits one shell line into words (single and double quotes, backslash escapes); enough for a container command. */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length)
        cur += line[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else if (ch === ';' || ch === '&' || ch === '|') {
      // A command list: what follows is another command; keep the separator as its own word.
      if (inWord) out.push(cur);
      out.push(ch);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

const VALUE_FLAGS: Record<string, string> = {
  model: 'model',
  'tensor-parallel-size': 'tensorParallelSize',
  tp: 'tensorParallelSize',
  'pipeline-parallel-size': 'pipelineParallelSize',
  pp: 'pipelineParallelSize',
  'data-parallel-size': 'dataParallelSize',
  dp: 'dataParallelSize',
  'max-model-len': 'maxModelLen',
  'gpu-memory-utilization': 'gpuMemoryUtilization',
  'kv-cache-dtype': 'kvCacheDtype',
  dtype: 'dtype',
  quantization: 'quantization',
  q: 'quantization',
  'max-num-seqs': 'maxNumSeqs',
  'max-num-batched-tokens': 'maxNumBatchedTokens',
  'block-size': 'blockSize',
  'kv-cache-memory': 'kvCacheMemoryBytes',
  'kv-cache-memory-bytes': 'kvCacheMemoryBytes',
};
const BOOL_FLAGS: Record<string, string> = {
  'enforce-eager': 'enforceEager',
};
/** Flags of vLLM that take no value (so the next word is not theirs). */
const OTHER_BOOL_FLAGS = new Set([
  'trust-remote-code',
  'enable-prefix-caching',
  'no-enable-prefix-caching',
  'enable-chunked-prefill',
  'no-enable-chunked-prefill',
  'disable-log-requests',
  'disable-log-stats',
  'enable-lora',
  'enable-expert-parallel',
  'disable-custom-all-reduce',
  'enable-auto-tool-choice',
  'no-enforce-eager',
  'disable-frontend-multiprocessing',
  'headless',
  'async-scheduling',
]);
const INT = /^[0-9]+$/;

/** Parses a size such as `8GiB`, `500M`, `1.5G` or plain bytes, as vLLM's human-readable int parser does. */
function parseBytes(text: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)(i?)[bB]?$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const base = m[3] ? 1024 : 1000;
  const power = unit ? 'kmgt'.indexOf(unit) + 1 : 0;
  return Math.round(Number(m[1]) * base ** power);
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * The argv of a container as the model server sees it: `command` + `args`, a `sh -c` line split into words, list
 * elements holding several words (`--max-model-len 8192` as one YAML item) split too.
 */
export function containerArgv(container: unknown): string[] {
  if (!isObj(container)) return [];
  let argv = [...strings(container.command), ...strings(container.args)];
  const shell = argv.findIndex(
    (a, i) => /(^|\/)(ba|da)?sh$/.test(a) && argv[i + 1] === '-c',
  );
  if (shell >= 0 && argv[shell + 2] !== undefined)
    argv = shellWords(argv[shell + 2]);
  return argv.flatMap(a =>
    /\s/.test(a.trim()) && a.trim().startsWith('-') ? shellWords(a) : [a],
  );
}

/** Whether a container runs vLLM: its command mentions vLLM, or its image is a vLLM image and its command is unset. */
function runsVllm(container: Record<string, unknown>, argv: string[]): boolean {
  const command = strings(container.command);
  const image = typeof container.image === 'string' ? container.image : '';
  if (argv.some(a => /(^|\/)vllm$/.test(a) || /^vllm\./.test(a))) return true;
  return command.length === 0 && /vllm/i.test(image);
}

/** Reads the engine arguments of a model-server container. Never throws. @public */
export function readEngineArgs(container: unknown): EngineArgs {
  const out: EngineArgs = {
    engine: 'unknown',
    v0: false,
    tensorParallelSize: 1,
    pipelineParallelSize: 1,
    dataParallelSize: 1,
    gpuMemoryUtilization: 0.9,
    kvCacheDtype: 'auto',
    dtype: 'auto',
    enforceEager: false,
    blockSize: 16,
    unreadable: {},
  };
  if (!isObj(container)) return out;
  let argv = containerArgv(container);
  if (runsVllm(container, argv)) out.engine = 'vllm';
  const image = typeof container.image === 'string' ? container.image : '';
  const tag = /:v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?[^/]*$/.exec(image);
  if (tag) out.version = [Number(tag[1]), Number(tag[2]), Number(tag[3] ?? 0)];
  const env = Array.isArray(container.env) ? container.env : [];
  const useV1 = env.find(
    (e: unknown) => isObj(e) && e.name === 'VLLM_USE_V1',
  ) as { value?: unknown } | undefined;
  out.v0 =
    (out.version !== undefined && out.version[0] === 0 && out.version[1] < 8) ||
    (useV1 !== undefined && String(useV1.value) === '0');
  // Only the vLLM command of a command list (`ray start … && vllm serve …`).
  const start = argv.findIndex(a => /(^|\/)vllm$/.test(a));
  if (start >= 0) argv = argv.slice(start);
  const end = argv.findIndex(a => a === ';' || a === '&' || a === '|');
  if (end >= 0) argv = argv.slice(0, end);
  const set = (key: string, flag: string, raw: string) => {
    const o = out as unknown as Record<string, unknown>;
    switch (key) {
      case 'model':
      case 'kvCacheDtype':
      case 'dtype':
      case 'quantization':
        o[key] = raw;
        return;
      case 'gpuMemoryUtilization': {
        const n = Number(raw);
        if (raw.trim() !== '' && Number.isFinite(n) && n > 0 && n <= 1)
          o[key] = n;
        else out.unreadable[flag] = raw;
        return;
      }
      case 'kvCacheMemoryBytes': {
        const n = parseBytes(raw);
        if (n !== undefined) o[key] = n;
        else out.unreadable[flag] = raw;
        return;
      }
      case 'maxModelLen': {
        // vLLM accepts 32k / 1M style values here (powers of 1,000 for lower case, 1,024 for upper).
        const m = /^([0-9]+)([kKmM]?)$/.exec(raw.trim());
        if (!m) {
          out.unreadable[flag] = raw;
          return;
        }
        const mult = { '': 1, k: 1000, K: 1024, m: 1e6, M: 1048576 }[
          m[2] as '' | 'k' | 'K' | 'm' | 'M'
        ];
        o[key] = Number(m[1]) * mult;
        return;
      }
      default:
        if (INT.test(raw.trim()) && Number(raw) > 0) o[key] = Number(raw);
        else out.unreadable[flag] = raw;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === 'serve' && i > 0 && /(^|\/)vllm$/.test(argv[i - 1])) {
      // `vllm serve MODEL`: the positional model, unless a flag comes first.
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        out.model = next;
        i++;
      }
      continue;
    }
    if (!a.startsWith('-')) continue;
    const eq = a.indexOf('=');
    const name = (eq >= 0 ? a.slice(0, eq) : a)
      .replace(/^--?/, '')
      .replace(/_/g, '-');
    const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    if (BOOL_FLAGS[name]) {
      (out as unknown as Record<string, unknown>)[BOOL_FLAGS[name]] =
        inline === undefined ? true : !/^(false|0)$/i.test(inline);
      continue;
    }
    if (name === 'no-enforce-eager') {
      out.enforceEager = false;
      continue;
    }
    const key = VALUE_FLAGS[name];
    if (!key) {
      // An unknown flag: skip its value when it has one (the next word is not a flag).
      if (
        inline === undefined &&
        !OTHER_BOOL_FLAGS.has(name) &&
        argv[i + 1] !== undefined &&
        !argv[i + 1].startsWith('-')
      )
        i++;
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (inline === undefined) i++;
    if (value === undefined) out.unreadable[a] = '';
    else set(key, a, value);
  }
  return out;
}
