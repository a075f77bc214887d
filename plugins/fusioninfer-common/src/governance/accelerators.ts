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
 * What a pod asks for in accelerators, counted the way the scheduler counts (security finding N-H1): the effective
 * pod request of KEP-753 (sidecars add up, init containers take the maximum), every accelerator resource name of a
 * configurable list, GPU equivalents for MIG slices and shared GPUs, and DRA resource claims. Pure; never throws.
 */

import { parseQuantity, quantityToNumber } from '../quantity';

/**
 * The resource names counted as accelerators unless a caller gives its own list (patterns, see
 * {@link acceleratorMatcher}): every NVIDIA resource (`nvidia.com/gpu`, time-sliced `nvidia.com/gpu.shared`, MIG
 * `nvidia.com/mig-3g.40gb` …), AMD and Intel GPUs, Google TPUs, Habana Gaudi, AWS Neuron, and any name that is, or
 * ends in, `/gpu`, `/tpu`, `/npu`, `/neuron`, `/neuroncore`, `/xpu`, `/mlu` or `/dcu`.
 * @public
 */
export const DEFAULT_ACCELERATOR_RESOURCES: readonly string[] = Object.freeze([
  'nvidia.com/*',
  'amd.com/gpu',
  'gpu.intel.com/*',
  'google.com/tpu',
  'habana.ai/*',
  'aws.amazon.com/neuron*',
  ...['gpu', 'tpu', 'npu', 'neuron', 'neuroncore', 'xpu', 'mlu', 'dcu'].flatMap(
    n => [n, `*/${n}`],
  ),
]);

/** Containers inspected per list (`containers`, `initContainers`); a pod with more is refused by the API server long before. */
const MAX_CONTAINERS = 1000;
/** Resource claims inspected per pod and per container. */
const MAX_CLAIMS = 1000;

/**
 * GPUs of an A100 / H100 / H200 / B200 a MIG profile `mig-<g>g.<mem>gb` takes `g` of (its compute slices).
 * @public
 */
export const MIG_SLICES_PER_GPU = 7;

/** Resources every pod has that are never accelerators, whatever a pattern says (so `*` means "every extended resource"). */
const STANDARD =
  /^(cpu|memory|ephemeral-storage|storage|pods|(hugepages|attachable-volumes)-.*)$/;

/**
 * Device attributes, not devices: HAMi's GPU memory and core share, Intel's GPU millicores, memory and tiles. Listed
 * among the accelerators with their raw value, they weigh nothing in GPU equivalents, except that a pod asking for
 * attributes of a vendor without any device of it counts one GPU (the device plugin's default).
 */
const ATTRIBUTES: Record<string, string> = {
  'nvidia.com/gpumem': 'nvidia.com/',
  'nvidia.com/gpumem-percentage': 'nvidia.com/',
  'nvidia.com/gpucores': 'nvidia.com/',
  'nvidia.com/priority': 'nvidia.com/',
  'gpu.intel.com/millicores': 'gpu.intel.com/',
  'gpu.intel.com/memory.max': 'gpu.intel.com/',
  'gpu.intel.com/tiles': 'gpu.intel.com/',
};

/** `nvidia.com/mig-3g.40gb`, `nvidia.com/mig-1g.10gb+me`, `nvidia.com/mig-1c.3g.20gb`, `nvidia.com/mig-2g.20gb.shared`. */
const MIG = /^nvidia\.com\/mig-(?:\d+c\.)?(\d+)g\.\d+gb(?:[+.][a-z0-9.+-]*)?$/;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A predicate for accelerator resource names from patterns: an exact name (`amd.com/gpu`), or a name with `*`
 * standing for any characters (`nvidia.com/*`, `aws.amazon.com/neuron*`; a leading `*` matches an ending, as in the
 * defaults' `*` + `/gpu`, which matches `example.com/gpu`). Matching ignores case. The
 * standard resources (`cpu`, `memory`, `ephemeral-storage`, `storage`, `pods`, `hugepages-*`) never match, so `['*']`
 * counts every extended resource. Entries that are not strings are ignored.
 * @public
 */
export function acceleratorMatcher(
  patterns: readonly string[] = DEFAULT_ACCELERATOR_RESOURCES,
): (name: string) => boolean {
  const exact = new Set<string>();
  const globs: string[][] = [];
  // A list that is not one (a misread configuration) means the defaults, never "nothing is an accelerator".
  const list = Array.isArray(patterns)
    ? patterns
    : DEFAULT_ACCELERATOR_RESOURCES;
  for (let i = 0; i < Math.min(list.length, 10_000); i++) {
    const p: unknown = list[i];
    if (typeof p !== 'string' || p.trim() === '') continue;
    const lower = p.trim().toLowerCase();
    if (lower.includes('*')) globs.push(lower.split('*'));
    else exact.add(lower);
  }
  return (name: string): boolean => {
    if (typeof name !== 'string') return false;
    const n = name.toLowerCase();
    if (STANDARD.test(n)) return false;
    if (exact.has(n)) return true;
    return globs.some(parts => globMatch(parts, n));
  };
}

/** Whether `name` matches the pieces of a pattern split at its `*`s (first anchored at the start, last at the end). */
function globMatch(parts: string[], name: string): boolean {
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!name.startsWith(first)) return false;
  if (name.length < first.length + last.length) return false;
  if (!name.endsWith(last)) return false;
  let at = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const j = name.indexOf(parts[i], at);
    if (j < 0 || j + parts[i].length > end) return false;
    at = j + parts[i].length;
  }
  return true;
}

/**
 * Whether a resource name is an accelerator under `patterns` (default {@link DEFAULT_ACCELERATOR_RESOURCES}).
 * @public
 */
export function isAcceleratorResource(
  name: string,
  patterns: readonly string[] = DEFAULT_ACCELERATOR_RESOURCES,
): boolean {
  return acceleratorMatcher(patterns)(name);
}

/**
 * GPU equivalents of one unit of an accelerator resource: a MIG slice `nvidia.com/mig-<g>g.<mem>gb` (also
 * `+me`, `<c>c.<g>g` compute-instance and `.shared` variants) is `g`/7 of a GPU; every other device — a whole GPU,
 * a time-sliced or MPS-shared unit (`*.shared`, since one unit may be a whole GPU), a TPU chip, a Neuron core — is
 * 1. Device attributes (HAMi's `nvidia.com/gpumem`, `nvidia.com/gpucores`; Intel's `gpu.intel.com/millicores`,
 * `gpu.intel.com/memory.max`, `gpu.intel.com/tiles`) are 0.
 * @public
 */
export function gpuEquivalentPerUnit(name: string): number {
  if (typeof name !== 'string') return 0;
  const n = name.toLowerCase();
  if (Object.hasOwn(ATTRIBUTES, n)) return 0;
  const mig = MIG.exec(n);
  if (mig) {
    const g = Number(mig[1]);
    return g >= 1 && g <= MIG_SLICES_PER_GPU ? g / MIG_SLICES_PER_GPU : 1;
  }
  return 1;
}

/**
 * GPU equivalents of a pod's accelerators (names to counts, as {@link podAccelerators} gives them), unrounded: the
 * sum of count × {@link gpuEquivalentPerUnit}, plus one GPU per vendor whose device attributes are asked for
 * without any of its devices.
 * @public
 */
export function gpuEquivalents(accelerators: Record<string, number>): number {
  let gpus = 0;
  const attributeVendors = new Set<string>();
  const deviceVendors = new Set<string>();
  for (const [name, count] of Object.entries(accelerators)) {
    if (!(typeof count === 'number' && count > 0)) continue;
    const n = name.toLowerCase();
    if (Object.hasOwn(ATTRIBUTES, n)) attributeVendors.add(ATTRIBUTES[n]);
    else {
      gpus += count * gpuEquivalentPerUnit(n);
      const slash = n.indexOf('/');
      if (slash >= 0) deviceVendors.add(n.slice(0, slash + 1));
    }
  }
  for (const vendor of attributeVendors)
    if (!deviceVendors.has(vendor)) gpus += 1;
  return gpus;
}

/** `x` rounded to 3 decimals (GPU equivalents of MIG slices: 2 × 3g = 0.857). @public */
export function roundGpus(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) * 1000 > Number.MAX_SAFE_INTEGER)
    return x;
  return Math.round(x * 1000) / 1000;
}

/** The value of one container for each included resource: the larger of limit and request (equal on any valid pod). */
function containerAmounts(
  c: unknown,
  include: (name: string) => boolean,
): Map<string, number> {
  const out = new Map<string, number>();
  if (!isObj(c)) return out;
  const res = isObj(c.resources) ? c.resources : {};
  for (const list of [res.limits, res.requests]) {
    if (!isObj(list)) continue;
    for (const name of Object.keys(list)) {
      if (!include(name)) continue;
      const raw = list[name];
      const q =
        typeof raw === 'string' || typeof raw === 'number'
          ? parseQuantity(raw)
          : undefined;
      // A negative amount (refused by the API server) must not cancel another container's.
      if (!q) continue;
      const v = Math.max(0, quantityToNumber(q));
      if (!Number.isFinite(v)) continue;
      out.set(name, Math.max(out.get(name) ?? 0, v));
    }
  }
  return out;
}

function addInto(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

function maxInto(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, v] of from) into.set(k, Math.max(into.get(k) ?? 0, v));
}

/** Runs `f` on the first `MAX_CONTAINERS` entries of `list` (when it is an array), skipping entries that throw. */
function eachContainer(list: unknown, f: (c: unknown) => void): void {
  if (!Array.isArray(list)) return;
  const n = Math.min(list.length, MAX_CONTAINERS);
  for (let i = 0; i < n; i++) {
    try {
      f(list[i]);
    } catch {
      // Only a throwing getter or proxy gets here: that container is skipped.
    }
  }
}

/** The pod spec of a pod template, or the argument itself when it already is a pod spec (has `containers`). */
function podSpecOf(templateOrSpec: unknown): Record<string, unknown> {
  if (!isObj(templateOrSpec)) return {};
  if (isObj(templateOrSpec.spec)) return templateOrSpec.spec;
  return 'containers' in templateOrSpec || 'initContainers' in templateOrSpec
    ? templateOrSpec
    : {};
}

/**
 * The effective request of one pod for each resource, as the scheduler computes it (KEP-753, sidecar containers):
 * the larger of (the sum over `containers` plus the sum over sidecars — `initContainers` with
 * `restartPolicy: Always`) and, for each plain init container, (its own amount plus the sidecars declared before
 * it). A container's amount is its limit, else its request (the larger when both are given; negative amounts count
 * 0, unparsable ones are skipped). Takes a pod template (`{ spec }`) or a pod spec; only names for which `include`
 * holds (default: all) are counted. Reads at most 1,000 containers of each list; never throws.
 * @public
 */
export function effectivePodRequests(
  templateOrSpec: unknown,
  include: (name: string) => boolean = () => true,
): Record<string, number> {
  try {
    const spec = podSpecOf(templateOrSpec);
    const running = new Map<string, number>(); // containers + every sidecar
    const sidecars = new Map<string, number>(); // sidecars declared so far
    const initPeak = new Map<string, number>();
    eachContainer(spec.initContainers, c => {
      const amounts = containerAmounts(c, include);
      if (isObj(c) && c.restartPolicy === 'Always') {
        addInto(sidecars, amounts);
        addInto(running, amounts);
      } else {
        const during = new Map(sidecars);
        addInto(during, amounts);
        maxInto(initPeak, during);
      }
    });
    eachContainer(spec.containers, c =>
      addInto(running, containerAmounts(c, include)),
    );
    maxInto(running, initPeak);
    return Object.fromEntries(running);
  } catch {
    return {};
  }
}

/**
 * The DRA resource claims one pod holds: the entries of the pod's `spec.resourceClaims` and any other claim name its
 * containers' `resources.claims` refer to, each name once. Their devices are not counted as GPUs (a claim template
 * says what it allocates, not the pod); a policy holds them instead. Never throws.
 * @public
 */
export function podResourceClaims(templateOrSpec: unknown): number {
  try {
    const spec = podSpecOf(templateOrSpec);
    const names = new Set<string>();
    let unnamed = 0;
    const podClaims = Array.isArray(spec.resourceClaims)
      ? spec.resourceClaims
      : [];
    for (let i = 0; i < Math.min(podClaims.length, MAX_CLAIMS); i++) {
      try {
        const c: unknown = podClaims[i];
        if (isObj(c) && typeof c.name === 'string') names.add(c.name);
        else unnamed++;
      } catch {
        unnamed++;
      }
    }
    const fromContainer = (c: unknown) => {
      const res = isObj(c) && isObj(c.resources) ? c.resources : {};
      const claims = Array.isArray(res.claims) ? res.claims : [];
      for (let i = 0; i < Math.min(claims.length, MAX_CLAIMS); i++) {
        const claim: unknown = claims[i];
        if (isObj(claim) && typeof claim.name === 'string')
          names.add(claim.name);
      }
    };
    eachContainer(spec.initContainers, fromContainer);
    eachContainer(spec.containers, fromContainer);
    return names.size + unnamed;
  } catch {
    return 0;
  }
}

/** What one pod asks for in accelerators (see {@link podAccelerators}). @public */
export interface PodAccelerators {
  /** Accelerators by resource name, raw counts of the effective pod request (`{"nvidia.com/mig-3g.40gb": 2}`). */
  accelerators: Record<string, number>;
  /** GPU equivalents (see {@link gpuEquivalents}), unrounded. */
  gpus: number;
  /** DRA resource claims (see {@link podResourceClaims}); their devices are not in `gpus`. */
  resourceClaims: number;
}

/** Options of {@link podAccelerators}. @public */
export interface AcceleratorOptions {
  /** Patterns of accelerator resource names (see {@link acceleratorMatcher}); default {@link DEFAULT_ACCELERATOR_RESOURCES}. */
  acceleratorResources?: readonly string[];
}

/**
 * The accelerators one pod of a template asks for: the effective pod request ({@link effectivePodRequests}) of
 * every accelerator resource, its GPU equivalents and its DRA resource claims. Takes a pod template or a pod spec
 * (or a matcher from {@link acceleratorMatcher} in place of options, to compile the patterns once). Never throws.
 * @public
 */
export function podAccelerators(
  templateOrSpec: unknown,
  options: AcceleratorOptions | ((name: string) => boolean) = {},
): PodAccelerators {
  try {
    const match =
      typeof options === 'function'
        ? options
        : acceleratorMatcher(
            options?.acceleratorResources ?? DEFAULT_ACCELERATOR_RESOURCES,
          );
    const accelerators = effectivePodRequests(templateOrSpec, match);
    return {
      accelerators,
      gpus: gpuEquivalents(accelerators),
      resourceClaims: podResourceClaims(templateOrSpec),
    };
  } catch {
    return { accelerators: {}, gpus: 0, resourceClaims: 0 };
  }
}
