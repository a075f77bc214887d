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
 * Model-server behaviours by image: how a simulated vLLM pod starts (slowly, or not at all: a crash or an OOM kill)
 * and how it serves (slower, with errors, Ready only for a while). Chosen per image by a table of glob patterns
 * (DevClusterOptions.simulation.behaviours, the CLI's --behaviour / --behaviours, app-config
 * fusioninfer.devCluster.behaviours) and, with no configuration at all, by conventional tag suffixes
 * (`vllm/vllm-openai:v0.27.1-slowstart`, `-crash`, `-oom`, `-slow`, `-errors`), so a rollout, a canary gate or a
 * demo can be exercised without GPUs by setting an image.
 */

/** How the model server of an image behaves. Every field is optional; absent fields behave normally. @public */
export interface ModelServerBehaviour {
  /** Time from the container's start to Ready (ms), instead of the cluster's `podStartupDelayMs`. */
  startupDelayMs?: number;
  /**
   * The container never becomes Ready: after loading (its start-up delay) it exits — `crash`: exit code 1 (reason
   * `Error`) with vLLM's engine start-up error as its last log line; `oom`: killed by the kernel (exit code 137,
   * reason `OOMKilled`) while loading weights — and the kubelet restarts it with CrashLoopBackOff back-off.
   */
  failStart?: 'crash' | 'oom';
  /** Time to first token × N (prefill time; the TTFT histogram and every answer). */
  ttftMultiplier?: number;
  /** Time per output token × N (inter-token latency; end-to-end latency grows with it). */
  latencyMultiplier?: number;
  /**
   * Fraction (0..1) of `/v1/completions` and `/v1/chat/completions` requests answered 500, spread evenly (0.2: every
   * fifth request), so tests and benchmarks see exactly this rate.
   */
  errorRate?: number;
  /** The pod stops being Ready this long (ms) after it became Ready, as when its readiness probe starts failing. */
  notReadyAfterMs?: number;
}

/** Behaviours by image pattern (`vllm/vllm-openai`, `vllm/vllm-openai:v0.99*`, `*:*-canary`, ...). @public */
export type ModelServerBehaviours = Record<string, ModelServerBehaviour>;

const NUMBER_FIELDS = [
  'startupDelayMs',
  'ttftMultiplier',
  'latencyMultiplier',
  'errorRate',
  'notReadyAfterMs',
] as const;
const FIELDS: readonly string[] = [...NUMBER_FIELDS, 'failStart'];
const FAIL_STARTS = ['crash', 'oom'];

/** How many times the cluster's start-up delay a `-slowstart` image takes to become Ready. */
export const SLOWSTART_FACTOR = 10;

/**
 * The behaviours of the conventional tag suffixes, given the cluster's start-up delay. Suffixes combine, last first:
 * `v1-slowstart-errors` starts slowly and answers 20 % of requests with 500.
 */
export function suffixBehaviour(
  suffix: string,
  podStartupDelayMs: number,
): ModelServerBehaviour | undefined {
  switch (suffix) {
    case 'slowstart':
      return { startupDelayMs: SLOWSTART_FACTOR * podStartupDelayMs };
    case 'crash':
      return { failStart: 'crash' };
    case 'oom':
      return { failStart: 'oom' };
    case 'slow':
      return { ttftMultiplier: 2, latencyMultiplier: 2 };
    case 'errors':
      return { errorRate: 0.2 };
    default:
      return undefined;
  }
}

/** Checks one behaviour; throws with the pattern and field named when a value is not allowed. */
function checkBehaviour(pattern: string, b: unknown): ModelServerBehaviour {
  const where = `behaviour "${pattern}"`;
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw new Error(`${where} must be an object`);
  const out: ModelServerBehaviour = {};
  for (const [k, v] of Object.entries(b)) {
    if (!FIELDS.includes(k))
      throw new Error(
        `${where}: unknown field "${k}" (known: ${FIELDS.join(', ')})`,
      );
    if (k === 'failStart') {
      if (!FAIL_STARTS.includes(v as string))
        throw new Error(`${where}: failStart must be "crash" or "oom"`);
      out.failStart = v as 'crash' | 'oom';
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`${where}: ${k} must be a non-negative number`);
    if (k === 'errorRate' && v > 1)
      throw new Error(`${where}: errorRate must be between 0 and 1`);
    if ((k === 'ttftMultiplier' || k === 'latencyMultiplier') && v === 0)
      throw new Error(`${where}: ${k} must be greater than 0`);
    out[k as (typeof NUMBER_FIELDS)[number]] = v;
  }
  return out;
}

/** Validates a behaviour table (from options, a JSON file or app-config); throws on the first problem. */
export function validateBehaviours(table: unknown): ModelServerBehaviours {
  if (table === undefined || table === null) return {};
  if (typeof table !== 'object' || Array.isArray(table))
    throw new Error(
      'behaviours must be an object of image patterns to behaviours',
    );
  const out: ModelServerBehaviours = {};
  for (const [pattern, b] of Object.entries(table)) {
    if (!pattern.trim())
      throw new Error('behaviours: an image pattern is empty');
    out[pattern] = checkBehaviour(pattern, b);
  }
  return out;
}

/**
 * Parses the CLI's `--behaviour PATTERN=field:value,field:value`, e.g.
 * `vllm/vllm-openai:v0.99-slow=startupDelayMs:20000,ttftMultiplier:2` or `*-broken=failStart:oom`.
 */
export function parseBehaviourFlag(
  text: string,
): [string, ModelServerBehaviour] {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new Error(
      `--behaviour "${text}": expected PATTERN=field:value[,field:value...]`,
    );
  const pattern = text.slice(0, eq).trim();
  const fields: Record<string, unknown> = {};
  for (const part of text
    .slice(eq + 1)
    .split(',')
    .map(p => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    if (colon <= 0)
      throw new Error(
        `--behaviour "${text}": "${part}" is not field:value (e.g. errorRate:0.2)`,
      );
    const key = part.slice(0, colon).trim();
    const raw = part.slice(colon + 1).trim();
    fields[key] = key === 'failStart' || raw === '' ? raw : Number(raw);
  }
  return [pattern, checkBehaviour(pattern, fields)];
}

/** Removes the default registry, so `docker.io/vllm/vllm-openai` and `vllm/vllm-openai` are the same image. */
const normalize = (image: string) =>
  image.trim().replace(/^(?:index\.)?docker\.io\/(?:library\/)?/, '');

/** The tag of an image reference (`repo:tag`, not a registry port), without any digest. */
function tagOf(image: string): string | undefined {
  const noDigest = image.split('@')[0];
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/')
    ? noDigest.slice(colon + 1)
    : undefined;
}

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('')
        .map(ch => {
          if (ch === '*') return '.*';
          if (ch === '?') return '.';
          return ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
        })
        .join('')}$`,
    );
    globCache.set(pattern, re);
  }
  return re;
}

/**
 * Whether a pattern matches an image: a pattern with a tag (`repo:tag`, globs allowed anywhere) matches the whole
 * reference; a pattern without one matches the repository whatever the tag or digest.
 */
export function patternMatches(pattern: string, image: string): boolean {
  const p = normalize(pattern);
  const img = normalize(image);
  if (tagOf(p) !== undefined || p.includes('@')) return glob(p).test(img);
  const repo = img.split('@')[0];
  const tag = tagOf(repo);
  return glob(p).test(
    tag === undefined ? repo : repo.slice(0, -tag.length - 1),
  );
}

/** How specific a pattern is: its characters other than wildcards (an exact `repo:tag` beats `repo:*` beats `repo`). */
const specificity = (pattern: string) => pattern.replace(/[*?]/g, '').length;

/**
 * The behaviour of an image: the tag's conventional suffixes first, then the most specific configured pattern that
 * matches, field by field over them. Undefined when nothing applies.
 */
export function behaviourOf(
  image: string,
  table: ModelServerBehaviours,
  podStartupDelayMs: number,
): ModelServerBehaviour | undefined {
  let result: ModelServerBehaviour | undefined;
  const segments = (tagOf(normalize(image)) ?? '').split('-');
  // suffixes are read from the end while they are known: v0.27.1-slowstart-errors has two
  for (let i = segments.length - 1; i > 0; i--) {
    const b = suffixBehaviour(segments[i], podStartupDelayMs);
    if (!b) break;
    result = { ...b, ...result };
  }
  let best: string | undefined;
  for (const pattern of Object.keys(table)) {
    if (!patternMatches(pattern, image)) continue;
    if (best === undefined || specificity(pattern) > specificity(best))
      best = pattern;
  }
  if (best !== undefined) result = { ...result, ...table[best] };
  return result && Object.keys(result).length ? result : undefined;
}
