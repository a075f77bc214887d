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

/**
 * Bounds on what this suite validates, renders, summarises and describes (issue 9 "Bounded work").
 *
 * One InferenceService expands into one LeaderWorkerSet per replica, each carrying copies of the role's pod
 * template. Without bounds a small manifest (32 roles × 10,000 replicas: 7 KB) becomes 320,000 objects and
 * exhausts the memory of whatever renders it. The checks here are cheap — one iterative walk that stops as soon as
 * a size or depth bound is crossed, then arithmetic — so hostile input is refused before any deep work.
 */

import type { ValidationIssue } from './validate/issues';

/** The bounds of {@link LIMITS}; every field can be lowered (or raised) per call. @public */
export interface InferenceServiceLimits {
  /**
   * Size of the manifest as compact JSON (`JSON.stringify`), in UTF-8 bytes. The API server
   * stores at most ~1.5 MiB per object in etcd; a real InferenceService is a few KiB.
   */
  manifestBytes: number;
  /**
   * Nesting depth of objects and lists, the top-level object being depth 1. Pod templates, `httproute` and
   * `gateway` are schemaless (`x-kubernetes-preserve-unknown-fields`); a real pod template nests about 15 deep.
   */
  depth: number;
  /** Roles per service (the CRD's `maxItems` on `spec.roles`). */
  roles: number;
  /** `replicas` of one workload role: each replica is its own LeaderWorkerSet (the CRD's `maximum`). */
  replicasPerRole: number;
  /** `multinode.nodeCount`: pods in one replica (LeaderWorkerSet group size; the CRD's `maximum`). */
  nodesPerReplica: number;
  /** Pods of the whole service: Σ over workload roles of replicas × nodeCount. */
  podsPerService: number;
  /** Child objects of the whole service: LeaderWorkerSets + PodGroup + 8 router objects per router role. */
  childrenPerService: number;
  /**
   * Size of a router's `endpointPickerConfig` text, in UTF-8 bytes. It is YAML that validation and rendering parse
   * (the `yaml` package reads a few hundred KB per second); a real EndpointPickerConfig is 1–5 KB. The CRD allows
   * 256 KiB.
   */
  endpointPickerConfigBytes: number;
  /**
   * Estimated size of everything rendered, in bytes: Σ over workload roles of replicas × (template size, twice for
   * multi-node roles whose leader gets its own copy, + 1 KiB of metadata). Bounds the memory and time of a render.
   */
  renderedBytes: number;
}

/**
 * Default limits, applied by `validateInferenceService`, `renderInferenceService` and every view built on them.
 *
 * - `manifestBytes` 1 MiB: 200× a large real manifest, below the API server's ~1.5 MiB object limit (an object the
 *   cluster stored between 1 and 1.5 MiB is reported as over this limit, not expanded).
 * - `depth` 100: ~6× the deepest real pod template (affinity terms); stops stack exhaustion long before it can happen.
 * - `roles` 32: the CRD's `maxItems`.
 * - `replicasPerRole` 10,000 and `nodesPerReplica` 1,000: the CRD's `maximum`s (unchanged from earlier releases).
 * - `podsPerService` 10,000: larger than any single inference deployment (a 64 × 8 P/D service is 1,025 pods).
 * - `childrenPerService` 1,000: 1,000 LeaderWorkerSets is already 1,000 StatefulSets for the LWS controller; the
 *   benchmarked 64 × 8 P/D service has 137 children.
 * - `endpointPickerConfigBytes` 64 KiB: ten times a large real configuration; parsing it stays in the milliseconds.
 * - `renderedBytes` 8 MiB: one render costs about one JSON round trip of its output, ~0.1–0.2 s of one core at
 *   this size (measured 0.75 s for 990 replicas × 8 KiB on the 2-core CI machine under a load of 12); 1,000
 *   replicas of a 6 KiB single-node template fit.
 * @public
 */
export const LIMITS: Readonly<InferenceServiceLimits> = Object.freeze({
  manifestBytes: 1024 * 1024,
  depth: 100,
  roles: 32,
  replicasPerRole: 10_000,
  nodesPerReplica: 1_000,
  podsPerService: 10_000,
  childrenPerService: 1_000,
  endpointPickerConfigBytes: 64 * 1024,
  renderedBytes: 8 * 1024 * 1024,
});

/** Objects a router role renders: ServiceAccount, Role, RoleBinding, ConfigMap, Deployment, Service, InferencePool, HTTPRoute. @public */
export const ROUTER_CHILDREN = 8;

/** Per-role metadata that a rendered LeaderWorkerSet adds beyond its templates (names, labels, annotations). */
const LWS_OVERHEAD_BYTES = 1024;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What {@link measureJson} found. @public */
export interface JsonMeasure {
  /** Bytes of its compact JSON (UTF-8); when the walk stopped early, a value above the byte bound. */
  bytes: number;
  /** Deepest nesting seen (1 for a top-level object or list, 0 for a scalar). */
  depth: number;
  /** Set when a bound was crossed: the walk stopped there. */
  exceeded?: 'bytes' | 'depth';
  /** Where the depth bound was crossed (a JSON path such as `spec.roles[0].template.spec.a.b`). */
  path?: string;
}

interface Frame {
  value: unknown;
  depth: number;
  parent?: Frame;
  key?: string | number;
}

function pathOf(frame: Frame | undefined): string {
  const keys: Array<string | number> = [];
  for (let f = frame; f && f.key !== undefined; f = f.parent) keys.push(f.key);
  let out = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i];
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)}]`;
  }
  return out;
}

/** UTF-8 bytes of a string; strings longer than `budget` code units are over it without a scan. */
function utf8Bytes(s: string, budget: number): number {
  if (s.length > budget) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

/** Bytes of a string inside compact JSON (UTF-8, with JSON's escapes), without the quotes. */
function utf8Length(s: string, budget: number): number {
  // UTF-8 is never shorter than the UTF-16 length: long strings are over budget without a scan.
  if (s.length > budget) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
    else if (c === 0x22 || c === 0x5c)
      n += 1; // \" and \\
    else if (c < 0x20)
      n += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5;
  }
  return n;
}

/**
 * Measures a JSON-like value without recursion: its size as compact JSON and its nesting depth, stopping as soon as
 * `maxBytes` or `maxDepth` is crossed, so the work is bounded by the bounds, not by the input (cycles and shared
 * references included). Never throws.
 * @public
 */
export function measureJson(
  value: unknown,
  maxBytes: number = LIMITS.manifestBytes,
  maxDepth: number = LIMITS.depth,
): JsonMeasure {
  let bytes = 0;
  let deepest = 0;
  const stack: Frame[] = [{ value, depth: 0 }];
  try {
    while (stack.length > 0) {
      const frame = stack.pop()!;
      const v = frame.value;
      if (v === null || v === undefined) bytes += 4;
      else if (typeof v === 'string')
        bytes += utf8Length(v, maxBytes - bytes) + 2;
      else if (typeof v === 'number' || typeof v === 'bigint')
        bytes += String(v).length;
      else if (typeof v === 'boolean') bytes += v ? 4 : 5;
      else if (typeof v === 'object') {
        const depth = frame.depth + 1;
        if (depth > deepest) deepest = depth;
        if (depth > maxDepth)
          return { bytes, depth, exceeded: 'depth', path: pathOf(frame) };
        if (Array.isArray(v)) {
          bytes += 2 + Math.max(0, v.length - 1);
          if (bytes > maxBytes)
            return { bytes, depth: deepest, exceeded: 'bytes' };
          for (let i = v.length - 1; i >= 0; i--)
            stack.push({ value: v[i], depth, parent: frame, key: i });
        } else {
          const keys = Object.keys(v);
          bytes += 2 + Math.max(0, keys.length - 1) + 3 * keys.length;
          if (bytes > maxBytes)
            return { bytes, depth: deepest, exceeded: 'bytes' };
          for (let i = keys.length - 1; i >= 0; i--) {
            const k = keys[i];
            const x = (v as Record<string, unknown>)[k];
            if (x === undefined || typeof x === 'function') continue;
            bytes += utf8Length(k, maxBytes - bytes);
            stack.push({ value: x, depth, parent: frame, key: k });
          }
        }
      }
      if (bytes > maxBytes) return { bytes, depth: deepest, exceeded: 'bytes' };
    }
  } catch {
    // A getter or proxy that throws: treat as unmeasurable, i.e. over the bound.
    return { bytes: maxBytes + 1, depth: deepest, exceeded: 'bytes' };
  }
  return { bytes, depth: deepest };
}

/** A role reduced to the numbers that bound its work, with upstream defaulting (spec §1.7). @internal */
export interface RoleCounts {
  index: number;
  name: string;
  componentType: 'router' | 'worker' | 'prefiller' | 'decoder' | undefined;
  /** Replicas after defaulting (missing ⇒ 1, negative ⇒ 0, fractions truncated); unclamped. */
  replicas: number;
  /** nodeCount after defaulting (missing or < 1 ⇒ 1); unclamped. */
  nodeCount: number;
  workload: boolean;
}

const toInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined;

/** Reads the roles of a spec as counts only (no copies). At most `max` roles are read. @internal */
export function roleCounts(spec: unknown, max = Infinity): RoleCounts[] {
  const raw = isObj(spec) && Array.isArray(spec.roles) ? spec.roles : [];
  const out: RoleCounts[] = [];
  const n = Math.min(raw.length, max);
  for (let index = 0; index < n; index++) {
    const role = isObj(raw[index])
      ? (raw[index] as Record<string, unknown>)
      : {};
    const ct = role.componentType;
    const componentType =
      ct === 'router' ||
      ct === 'worker' ||
      ct === 'prefiller' ||
      ct === 'decoder'
        ? ct
        : undefined;
    const replicas = toInt(role.replicas);
    const nodeCount = isObj(role.multinode)
      ? toInt(role.multinode.nodeCount)
      : undefined;
    out.push({
      index,
      name: typeof role.name === 'string' ? role.name : '',
      componentType,
      replicas: replicas === undefined ? 1 : Math.max(0, replicas),
      nodeCount: nodeCount === undefined || nodeCount < 1 ? 1 : nodeCount,
      workload: componentType !== undefined && componentType !== 'router',
    });
  }
  return out;
}

/** Child objects a service renders, from counts alone (what `renderInferenceService` produces). @internal */
export function countChildren(roles: RoleCounts[]): {
  children: number;
  lws: number;
  pods: number;
  gang: boolean;
} {
  const workloads = roles.filter(r => r.workload);
  const pd =
    workloads.some(r => r.componentType === 'prefiller') &&
    workloads.some(r => r.componentType === 'decoder');
  const gang = pd || workloads.some(r => r.nodeCount >= 2);
  let lws = 0;
  let pods = 0;
  for (const r of workloads) {
    lws += r.replicas;
    pods += r.replicas * r.nodeCount;
  }
  const routers = roles.filter(r => r.componentType === 'router').length;
  return {
    children: lws + (gang ? 1 : 0) + ROUTER_CHILDREN * routers,
    lws,
    pods,
    gang,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/**
 * Checks an InferenceService against {@link LIMITS} (or the given overrides): first its size and depth with one
 * bounded walk (when either is over, nothing else is looked at), then roles, replicas, nodes per replica, total pods,
 * children and estimated render size by arithmetic. Returns errors naming the field and the rule; empty when within
 * every limit. Cheap and never throws: run it before anything that expands a service.
 * @public
 */
export function checkInferenceServiceLimits(
  obj: unknown,
  overrides: Partial<InferenceServiceLimits> = {},
): ValidationIssue[] {
  return limitIssues(obj, overrides).issues;
}

/**
 * {@link checkInferenceServiceLimits}, also saying whether the input is too large or too deep (or has too many roles)
 * to look at any further. @internal
 */
export function limitIssues(
  obj: unknown,
  overrides: Partial<InferenceServiceLimits> = {},
): { issues: ValidationIssue[]; stop: boolean } {
  const limits: InferenceServiceLimits = { ...LIMITS, ...overrides };
  const out: ValidationIssue[] = [];
  const error = (path: string, message: string) =>
    out.push({ path, message, severity: 'error' });
  const m = measureJson(obj, limits.manifestBytes, limits.depth);
  if (m.exceeded === 'bytes') {
    error(
      '',
      `the manifest is larger than ${fmt(limits.manifestBytes)} bytes as JSON (limit manifestBytes); nothing else was checked`,
    );
    return { issues: out, stop: true };
  }
  if (m.exceeded === 'depth') {
    error(
      m.path ?? '',
      `nested more than ${limits.depth} levels deep (limit depth: objects and lists inside one another); nothing else was checked`,
    );
    return { issues: out, stop: true };
  }
  if (!isObj(obj) || !isObj(obj.spec) || !Array.isArray(obj.spec.roles))
    return { issues: out, stop: false };
  const rawRoles = obj.spec.roles as unknown[];
  if (rawRoles.length > limits.roles) {
    error(
      'spec.roles',
      `Too many: ${fmt(rawRoles.length)}: must have at most ${fmt(limits.roles)} roles (limit roles); the roles were not checked further`,
    );
    return { issues: out, stop: true };
  }
  const roles = roleCounts(obj.spec);
  let renderedBytes = 0;
  for (const r of roles) {
    const base = `spec.roles[${r.index}]`;
    const epc = (rawRoles[r.index] as Record<string, unknown>)
      ?.endpointPickerConfig;
    if (typeof epc === 'string') {
      const bytes = utf8Bytes(epc, limits.endpointPickerConfigBytes + 1);
      if (bytes > limits.endpointPickerConfigBytes)
        error(
          `${base}.endpointPickerConfig`,
          `Too long: ${fmt(bytes)} bytes; at most ${fmt(limits.endpointPickerConfigBytes)} (limit endpointPickerConfigBytes: the YAML is parsed on every validation and render)`,
        );
    }
    if (!r.workload) continue;
    if (r.replicas > limits.replicasPerRole)
      error(
        `${base}.replicas`,
        `Invalid value: ${r.replicas}: must be at most ${limits.replicasPerRole} (limit replicasPerRole: each replica is its own LeaderWorkerSet)`,
      );
    if (r.nodeCount > limits.nodesPerReplica)
      error(
        `${base}.multinode.nodeCount`,
        `Invalid value: ${r.nodeCount}: must be at most ${limits.nodesPerReplica} pods per replica (limit nodesPerReplica)`,
      );
    const template = (rawRoles[r.index] as Record<string, unknown>)?.template;
    const size = measureJson(
      template,
      limits.manifestBytes,
      limits.depth,
    ).bytes;
    renderedBytes +=
      r.replicas * (size * (r.nodeCount >= 2 ? 2 : 1) + LWS_OVERHEAD_BYTES);
  }
  const counts = countChildren(roles);
  if (counts.pods > limits.podsPerService)
    error(
      'spec.roles',
      `the service would run ${fmt(counts.pods)} pods (Σ replicas × multinode.nodeCount over its roles); at most ${fmt(limits.podsPerService)} per service (limit podsPerService)`,
    );
  if (counts.children > limits.childrenPerService)
    error(
      'spec.roles',
      `the service would create ${fmt(counts.children)} child objects (${fmt(counts.lws)} LeaderWorkerSets, one per replica, plus PodGroup and router objects); at most ${fmt(limits.childrenPerService)} per service (limit childrenPerService)`,
    );
  if (renderedBytes > limits.renderedBytes)
    error(
      'spec.roles',
      `the rendered children would take about ${mib(renderedBytes)} (replicas × pod template size); at most ${mib(limits.renderedBytes)} (limit renderedBytes): use fewer replicas or a smaller template`,
    );
  return { issues: out, stop: false };
}
