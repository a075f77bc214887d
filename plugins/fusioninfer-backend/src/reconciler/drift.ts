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

import { KubeObject } from '@fusioninfer/plugin-fusioninfer-common';

/*
 * Drift detection of children: the fields this suite manages are exactly the fields of the rendered object (server-
 * side apply makes us their manager). A live child is in sync when every rendered leaf has the same value in the live
 * object; fields the API server or other controllers add (defaults, status, annotations of their own) are ignored.
 */

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Metadata we render and therefore manage; the rest of metadata belongs to the API server. */
const MANAGED_METADATA = ['labels', 'annotations', 'ownerReferences'];

function managedView(o: KubeObject): Record<string, unknown> {
  const {
    metadata,
    status: _status,
    ...rest
  } = o as unknown as Record<string, unknown>;
  const md: Record<string, unknown> = {};
  for (const k of MANAGED_METADATA)
    if (isObj(metadata) && metadata[k] !== undefined) md[k] = metadata[k];
  return { ...rest, metadata: md };
}

const scalarEqual = (a: unknown, b: unknown) =>
  a === b ||
  ((typeof a === 'number' || typeof a === 'string') &&
    (typeof b === 'number' || typeof b === 'string') &&
    String(a) === String(b));

function subset(rendered: unknown, live: unknown, depth = 0): boolean {
  if (depth > 200) return false;
  if (rendered === undefined || rendered === null)
    return live === undefined || live === null;
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live) || live.length !== rendered.length) return false;
    return rendered.every((r, i) => subset(r, live[i], depth + 1));
  }
  if (isObj(rendered)) {
    if (!isObj(live)) return false;
    for (const [k, v] of Object.entries(rendered)) {
      if (v === undefined) continue;
      if (!subset(v, live[k], depth + 1)) return false;
    }
    return true;
  }
  return scalarEqual(rendered, live);
}

/** Whether every field of the rendered child has the same value in the live object. */
export function liveMatchesRendered(
  rendered: KubeObject,
  live: KubeObject,
): boolean {
  return subset(managedView(rendered), managedView(live));
}

/** The live values at the rendered paths, as one string: equal signatures mean nobody changed a managed field. */
export function driftSignature(rendered: KubeObject, live: KubeObject): string {
  const pick = (r: unknown, l: unknown, depth: number): unknown => {
    if (depth > 200) return null;
    if (Array.isArray(r))
      return Array.isArray(l)
        ? l.map((x, i) => pick(r[Math.min(i, r.length - 1)], x, depth + 1))
        : (l ?? null);
    if (isObj(r)) {
      if (!isObj(l)) return l ?? null;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(r).sort())
        out[k] = pick(r[k], l[k], depth + 1);
      return out;
    }
    return l ?? null;
  };
  return JSON.stringify(pick(managedView(rendered), managedView(live), 0));
}
