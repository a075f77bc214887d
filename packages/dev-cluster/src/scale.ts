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
 * The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets, StatefulSets and custom resources whose
 * CRD declares subresources.scale (LeaderWorkerSet): GET, PUT and PATCH, as `kubectl scale` and HPAs use it.
 */

import { KObject, KubeApi } from './api';
import { ApiError, errors } from './errors';
import { selectorString } from './openapi';
import { applyJsonPatch, applyMergePatch } from './patch';
import { ResourceType } from './resources';

const segments = (p: string) => p.replace(/^\./, '').split('.');
function read(o: unknown, p: string): unknown {
  let cur: any = o;
  for (const s of segments(p)) cur = cur?.[s];
  return cur;
}
function write(o: Record<string, any>, p: string, v: unknown) {
  const segs = segments(p);
  let cur = o;
  for (const s of segs.slice(0, -1)) {
    if (typeof cur[s] !== 'object' || cur[s] === null) cur[s] = {};
    cur = cur[s];
  }
  cur[segs[segs.length - 1]] = v;
}

/** The Scale of an object. */
export function scaleOf(t: ResourceType, o: KObject): KObject {
  const spec = t.scale!;
  let selector: unknown;
  if (spec.labelSelectorPath) selector = read(o, spec.labelSelectorPath);
  else if (o.spec?.selector) selector = selectorString(o.spec.selector);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    spec: { replicas: Number(read(o, spec.specReplicasPath) ?? 0) },
    status: {
      replicas: Number(read(o, spec.statusReplicasPath) ?? 0),
      ...(selector ? { selector } : {}),
    },
  };
}

/** PUT or PATCH of the scale subresource; returns the new Scale. */
export function updateScale(
  api: KubeApi,
  t: ResourceType,
  ns: string | undefined,
  name: string,
  change: { put?: unknown; patch?: { contentType: string; body: unknown } },
  opts: { fieldManager?: string; dryRun?: boolean },
): KObject {
  const live = api.get(t, ns, name);
  const current = scaleOf(t, live);
  let next: any;
  if (change.put !== undefined) next = change.put;
  else {
    const ct = change.patch!.contentType.split(';')[0].trim().toLowerCase();
    if (ct === 'application/json-patch+json')
      next = applyJsonPatch(structuredClone(current), change.patch!.body);
    else if (
      ct === 'application/merge-patch+json' ||
      ct === 'application/strategic-merge-patch+json'
    )
      next = applyMergePatch(structuredClone(current), change.patch!.body);
    else throw errors.unsupportedMediaType(ct);
  }
  const replicas = next?.spec?.replicas;
  if (
    typeof replicas !== 'number' ||
    !Number.isInteger(replicas) ||
    replicas < 0
  ) {
    throw errors.invalid('Scale', 'autoscaling', name, [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
      },
    ]);
  }
  const rv = next?.metadata?.resourceVersion;
  if (rv && rv !== live.metadata.resourceVersion)
    throw errors.conflict(t.plural, t.group, name);
  const updated = structuredClone(live);
  write(updated, t.scale!.specReplicasPath, replicas);
  try {
    return scaleOf(
      t,
      api.update(t, ns, name, updated, {
        fieldManager: opts.fieldManager,
        dryRun: opts.dryRun,
      }),
    );
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw errors.internal((e as Error).message);
  }
}
