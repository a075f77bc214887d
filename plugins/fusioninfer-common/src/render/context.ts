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

import {
  INFERENCE_SERVICE_API_VERSION,
  INFERENCE_SERVICE_KIND,
} from '../constants';
import { InferenceServiceLimits, LIMITS } from '../limits';
import { ComponentType, Container, OwnerReference, PodSpec } from '../types';

/** Options of {@link renderInferenceService}. @public */
export interface RenderOptions {
  /** Namespace of the children; defaults to the service's `metadata.namespace`, then `default`. */
  namespace?: string;
  /** EPP image for every strategy but P/D (upstream `EPP_IMAGE`). */
  eppImage?: string;
  /** EPP image when the EPP config needs llm-d plugins (`pd-disaggregation`). */
  pdEppImage?: string;
  /**
   * Metric the EPP reads for KV-cache utilisation (`--kv-cache-usage-percentage-metric`); `null` omits the flag
   * (upstream behaviour, blind with vLLM ≥ 0.12).
   */
  kvCacheMetric?: string | null;
  /** When false, the EPP is started with `--metrics-endpoint-auth=false` so its /metrics can be scraped. Default true. */
  eppMetricsAuth?: boolean;
  /** UID of the InferenceService (defaults to `metadata.uid`); when known every child gets a controller owner reference. */
  ownerUid?: string;
  /** Overrides of {@link LIMITS}; a service over a limit is not rendered (`limitErrors`). */
  limits?: Partial<InferenceServiceLimits>;
}

/** A role after defaulting (spec §1.7), safe to use whatever the input was. */
export interface NormalizedRole {
  index: number;
  name: string;
  componentType: ComponentType | undefined;
  strategy: string | undefined;
  replicas: number;
  nodeCount: number;
  httproute: unknown;
  endpointPickerConfig: string;
  podSpec: PodSpec | undefined;
}

/** Everything the per-kind renderers share. */
export interface RenderContext {
  svc: string;
  namespace: string;
  roles: NormalizedRole[];
  workloadRoles: NormalizedRole[];
  routers: NormalizedRole[];
  pdDisaggregated: boolean;
  gangScheduling: boolean;
  /** The service carries the canary annotation: its replicas' pods are labelled with their track. */
  canary: boolean;
  /**
   * The service opts in to revision labels: each workload role's pods are labelled with its revision (by role
   * name; prefillers and decoders of a P/D service share the pair's). Undefined: no revision label (upstream).
   */
  revisions?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  options: RenderOptions;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Nesting beyond which copies hand over to the iterative copy (stack safety). */
const MAX_RECURSION = 200;

const dropped = (x: unknown) =>
  x === undefined || typeof x === 'function' || typeof x === 'symbol';

function setOwn(out: Record<string, unknown>, k: string, value: unknown) {
  if (k === '__proto__')
    Object.defineProperty(out, k, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else out[k] = value;
}

/** A scalar as JSON would carry it, or undefined when \`v\` is an object or list. */
function copyScalar(v: unknown): { v: unknown } | undefined {
  if (v === null) return { v: null };
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return { v };
  if (t === 'number') return { v: Number.isFinite(v) ? v : null };
  if (t !== 'object') return { v: JSON.parse(JSON.stringify(v) ?? 'null') };
  return undefined;
}

/** Copies plain JSON data without recursion (any depth); class instances and toJSON become plain data by fields. */
function copyIterative(root: unknown): unknown {
  const first = copyScalar(root);
  if (first) return first.v;
  const top: unknown = Array.isArray(root) ? new Array(root.length) : {};
  const stack: Array<[unknown, unknown]> = [[root, top]];
  while (stack.length > 0) {
    const [src, dst] = stack.pop()!;
    const put = (k: string | number, x: unknown) => {
      const sc = copyScalar(x);
      let value: unknown;
      if (sc) value = sc.v;
      else {
        value = Array.isArray(x) ? new Array(x.length) : {};
        stack.push([x, value]);
      }
      if (typeof k === 'number') (dst as unknown[])[k] = value;
      else setOwn(dst as Record<string, unknown>, k, value);
    };
    if (Array.isArray(src)) {
      for (let i = 0; i < src.length; i++)
        if (dropped(src[i])) (dst as unknown[])[i] = null;
        else put(i, src[i]);
    } else {
      for (const k of Object.keys(src as object)) {
        const x = (src as Record<string, unknown>)[k];
        if (!dropped(x)) put(k, x);
      }
    }
  }
  return top;
}

/** Copies plain JSON data; anything else (toJSON, class instances, non-finite numbers) goes through JSON. */
function copyPlain(v: unknown, depth = 0): unknown {
  if (v === null) return null;
  const t = typeof v;
  if (t === 'string' || t === 'boolean') return v;
  if (t === 'number') return Number.isFinite(v) ? v : null;
  if (t !== 'object') return JSON.parse(JSON.stringify(v) ?? 'null');
  if (depth > MAX_RECURSION) return copyIterative(v);
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      out[i] = dropped(x) ? null : copyPlain(x, depth + 1);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (
    (proto !== Object.prototype && proto !== null) ||
    typeof (v as { toJSON?: unknown }).toJSON === 'function'
  )
    return JSON.parse(JSON.stringify(v));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as object)) {
    const x = (v as Record<string, unknown>)[k];
    if (dropped(x)) continue;
    setOwn(out, k, copyPlain(x, depth + 1));
  }
  return out;
}

/** Deep copy of JSON data with JSON's semantics (drops undefined and functions), without a string round trip. */
export function cloneJson<T>(v: T): T {
  return v === undefined ? v : (copyPlain(v) as T);
}

function toInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v)
    ? Math.trunc(v)
    : undefined;
}

/** Extracts the pod spec of a role template, as Go's decode into PodTemplateSpec would; undefined when it cannot. */
function podSpecOf(template: unknown): PodSpec | undefined {
  if (!isObject(template) || !isObject(template.spec)) return undefined;
  const spec = cloneJson(template.spec) as Record<string, unknown>;
  if (spec.containers === undefined || spec.containers === null)
    spec.containers = [];
  if (!Array.isArray(spec.containers) || !spec.containers.every(isObject))
    return undefined;
  return spec as unknown as PodSpec;
}

/**
 * The roles of a spec with upstream defaulting. Replicas and nodeCount are clamped to the limits (defaults, or the
 * given overrides), so that code iterating over replicas — status derivation of a stored service that is over a
 * limit, for instance — stays bounded; rendering refuses such services before it gets here.
 */
export function normalizeRoles(
  spec: unknown,
  limits: Partial<InferenceServiceLimits> = {},
): NormalizedRole[] {
  const maxReplicas = Math.max(
    0,
    limits.replicasPerRole ?? LIMITS.replicasPerRole,
  );
  const maxNodes = Math.max(
    1,
    limits.nodesPerReplica ?? LIMITS.nodesPerReplica,
  );
  const rawRoles =
    isObject(spec) && Array.isArray(spec.roles) ? spec.roles : [];
  return rawRoles.map((r, index): NormalizedRole => {
    const role = isObject(r) ? r : {};
    const ct = role.componentType;
    const replicas = toInt(role.replicas);
    const nodeCount = isObject(role.multinode)
      ? toInt(role.multinode.nodeCount)
      : undefined;
    return {
      index,
      name: typeof role.name === 'string' ? role.name : '',
      componentType:
        ct === 'router' ||
        ct === 'worker' ||
        ct === 'prefiller' ||
        ct === 'decoder'
          ? ct
          : undefined,
      strategy: typeof role.strategy === 'string' ? role.strategy : undefined,
      replicas:
        replicas === undefined
          ? 1
          : Math.max(0, Math.min(replicas, maxReplicas)),
      nodeCount:
        nodeCount === undefined || nodeCount < 1
          ? 1
          : Math.min(nodeCount, maxNodes),
      httproute: role.httproute,
      endpointPickerConfig:
        typeof role.endpointPickerConfig === 'string'
          ? role.endpointPickerConfig
          : '',
      podSpec: podSpecOf(role.template),
    };
  });
}

/** Gang rule per role (spec §3.1, upstream semantics). */
export function roleNeedsGang(
  ctx: Pick<RenderContext, 'pdDisaggregated'>,
  role: NormalizedRole,
): boolean {
  if (ctx.pdDisaggregated)
    return (
      role.componentType === 'prefiller' || role.componentType === 'decoder'
    );
  return role.nodeCount >= 2;
}

export function ownerReferencesFor(
  name: string,
  uid: string | undefined,
): OwnerReference[] | undefined {
  if (!uid) return undefined;
  return [
    {
      apiVersion: INFERENCE_SERVICE_API_VERSION,
      kind: INFERENCE_SERVICE_KIND,
      name,
      uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}

export type { Container };
