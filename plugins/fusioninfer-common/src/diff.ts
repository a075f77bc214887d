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
 * Rendered children against what is live: which are missing, which drifted (and where), which are orphans. Only
 * fields that the rendered object sets are compared, so server defaults and status never count as drift.
 */

import { LABELS } from './constants';
import { KubeObject } from './types';

/** One field that differs. @public */
export interface FieldChange {
  path: string;
  desired: unknown;
  live: unknown;
}

/** The state of one child. @public */
export interface ChildDiff {
  apiVersion: string;
  kind: string;
  name: string;
  state: 'in-sync' | 'drifted' | 'missing' | 'orphan';
  desiredSpecHash?: string;
  liveSpecHash?: string;
  changes: FieldChange[];
}

/** Summary and per-child diff. @public */
export interface ChildrenDiff {
  inSync: boolean;
  counts: Record<ChildDiff['state'], number>;
  children: ChildDiff[];
}

const IGNORED_METADATA = new Set([
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);
const MAX_CHANGES = 50;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const keyOf = (o: KubeObject) =>
  `${o.apiVersion}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name}`;

/** Equal after Kubernetes' number normalisation (1 and 1.0; "1" stays a string). */
function sameScalar(a: unknown, b: unknown) {
  return (
    a === b ||
    (typeof a === 'number' && typeof b === 'number' && Number(a) === Number(b))
  );
}

function compare(
  desired: unknown,
  live: unknown,
  path: string,
  out: FieldChange[],
) {
  if (out.length >= MAX_CHANGES) return;
  if (isObject(desired)) {
    if (!isObject(live)) {
      out.push({ path, desired, live });
      return;
    }
    for (const [k, v] of Object.entries(desired)) {
      if (path === '.metadata' && IGNORED_METADATA.has(k)) continue;
      compare(v, live[k], `${path}.${k}`, out);
    }
    return;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) {
      out.push({ path, desired, live });
      return;
    }
    // Named items (containers, ports, env, volumes, roles) match by name; others by position.
    const named =
      desired.every(d => isObject(d) && typeof d.name === 'string') &&
      live.every(l => isObject(l) && typeof l.name === 'string');
    if (named) {
      for (const d of desired as Array<Record<string, unknown>>) {
        compare(
          d,
          (live as Array<Record<string, unknown>>).find(l => l.name === d.name),
          `${path}[name=${String(d.name)}]`,
          out,
        );
      }
      for (const l of live as Array<Record<string, unknown>>) {
        if (
          !(desired as Array<Record<string, unknown>>).some(
            d => d.name === l.name,
          )
        )
          out.push({
            path: `${path}[name=${String(l.name)}]`,
            desired: undefined,
            live: l,
          });
      }
      return;
    }
    if (desired.length !== live.length) {
      out.push({ path, desired, live });
      return;
    }
    desired.forEach((d, i) => compare(d, live[i], `${path}[${i}]`, out));
    return;
  }
  if (desired === undefined || desired === null) return;
  if (!sameScalar(desired, live)) out.push({ path, desired, live });
}

/**
 * Diffs rendered children against live objects of the same service (`live` should hold every object that carries the
 * service label, so that orphans show).
 * @public
 */
export function diffChildren(
  desired: KubeObject[],
  live: KubeObject[],
): ChildrenDiff {
  const liveByKey = new Map(live.map(l => [keyOf(l), l]));
  const desiredKeys = new Set(desired.map(keyOf));
  const children: ChildDiff[] = [];
  for (const d of desired) {
    const l = liveByKey.get(keyOf(d));
    const base = {
      apiVersion: d.apiVersion,
      kind: d.kind,
      name: d.metadata.name!,
      desiredSpecHash: d.metadata.labels?.[LABELS.specHash],
    };
    if (!l) {
      children.push({ ...base, state: 'missing', changes: [] });
      continue;
    }
    const changes: FieldChange[] = [];
    const { status: _s, ...body } = d as KubeObject & { status?: unknown };
    compare(body, l, '', changes);
    children.push({
      ...base,
      liveSpecHash: l.metadata.labels?.[LABELS.specHash],
      state: changes.length ? 'drifted' : 'in-sync',
      changes,
    });
  }
  for (const l of live) {
    if (!desiredKeys.has(keyOf(l)))
      children.push({
        apiVersion: l.apiVersion,
        kind: l.kind,
        name: l.metadata.name!,
        liveSpecHash: l.metadata.labels?.[LABELS.specHash],
        state: 'orphan',
        changes: [],
      });
  }
  const counts = { 'in-sync': 0, drifted: 0, missing: 0, orphan: 0 };
  for (const c of children) counts[c.state]++;
  return {
    inSync: counts.drifted + counts.missing + counts.orphan === 0,
    counts,
    children,
  };
}
