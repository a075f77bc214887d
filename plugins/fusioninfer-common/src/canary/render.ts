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
 * The children of a canary: its replicas (LeaderWorkerSets `{svc}-{role}-canary-{i}`, a PodGroup each when the role
 * is gang-scheduled), and an endpoint picker and InferencePool of its own (`{svc}-canary-epp`, `{svc}-canary-pool`),
 * all labelled `fusioninfer.io/service: {svc}` (so they are the service's children, owned by it) and
 * `fusioninfer.io/track: canary`. While a canary runs, the stable pool selects `fusioninfer.io/track: stable` and the
 * HTTPRoute weighs the two pools.
 */

import { LABELS } from '../constants';
import { specHash } from '../hash';
import { checkInferenceServiceLimits } from '../limits';
import { childNames } from '../names';
import { buildContext } from '../render';
import { RenderOptions } from '../render/context';
import { renderRouter } from '../render/router';
import { renderOwnPodGroup, renderReplicaLws } from '../render/workloads';
import { Deployment, HTTPRoute, InferencePool, KubeObject } from '../types';
import { CanaryMode } from './state';
import { TRACK_LABEL } from './policy';

/** Names of a canary's own router children. @public */
export const canaryNames = {
  epp: (svc: string) => childNames.epp(`${svc}-canary`),
  pool: (svc: string) => childNames.pool(`${svc}-canary`),
};

const POOL_GROUP = 'inference.networking.k8s.io';

/**
 * The canary's children for `replicas` canary replicas per workload role, rendered from the service's spec (the
 * revision under test). Empty when the service is over the limits or has no router (then there is nothing to weigh).
 * @public
 */
export function renderCanaryChildren(
  isvc: unknown,
  replicas: number,
  options: RenderOptions = {},
): KubeObject[] {
  if (checkInferenceServiceLimits(isvc, options.limits).length > 0) return [];
  const ctx = buildContext(isvc, options);
  const router = ctx.routers[0];
  if (!router) return [];
  const out: KubeObject[] = [];
  for (const role of ctx.workloadRoles)
    for (let i = 0; i < replicas; i++) {
      const pg = renderOwnPodGroup(ctx, role, i, 'canary');
      if (pg) out.push(pg);
      out.push(renderReplicaLws(ctx, role, i, 'canary'));
    }
  // The router children as for a service named "{svc}-canary", then made the service's: labelled with its name and
  // the canary track, the pool selecting the canary's pods only. The route is the service's own (weighted).
  const own = renderRouter({ ...ctx, svc: `${ctx.svc}-canary` }, router).filter(
    o => o.kind !== 'HTTPRoute',
  );
  for (const o of own) {
    o.metadata.labels = {
      ...o.metadata.labels,
      [LABELS.service]: ctx.svc,
      [TRACK_LABEL]: 'canary',
    };
    if (o.kind === 'Deployment') {
      const d = o as Deployment;
      d.spec.selector.matchLabels = {
        ...d.spec.selector.matchLabels,
        [LABELS.service]: ctx.svc,
      };
      d.spec.template.metadata!.labels![LABELS.service] = ctx.svc;
      d.metadata.labels![LABELS.service] = ctx.svc;
      d.metadata.labels![LABELS.specHash] = specHash(d.spec);
    }
    if (o.kind === 'InferencePool') {
      const p = o as InferencePool;
      p.spec.selector.matchLabels = {
        ...p.spec.selector.matchLabels,
        [LABELS.service]: ctx.svc,
        [TRACK_LABEL]: 'canary',
      };
      p.metadata.labels![LABELS.specHash] = specHash(p.spec);
    }
  }
  out.push(...own);
  return out;
}

/**
 * The service's rendered children as a canary needs them: while the canary's children are rendered the stable pool
 * selects only `fusioninfer.io/track: stable` pods, and with a weight above 0 the HTTPRoute sends that share to the
 * canary pool (the rest to the stable pool). Without a canary the children are returned as rendered.
 * @public
 */
export function applyCanaryMode(
  svc: string,
  children: KubeObject[],
  mode: Pick<CanaryMode, 'renderCanary' | 'weight'>,
): KubeObject[] {
  if (!mode.renderCanary) return children;
  return children.map(o => {
    if (
      o.kind === 'InferencePool' &&
      o.metadata.name === childNames.pool(svc)
    ) {
      const p = JSON.parse(JSON.stringify(o)) as InferencePool;
      p.spec.selector.matchLabels[TRACK_LABEL] = 'stable';
      p.metadata.labels![LABELS.specHash] = specHash(p.spec);
      return p;
    }
    if (
      o.kind === 'HTTPRoute' &&
      o.metadata.name === childNames.route(svc) &&
      mode.weight > 0
    ) {
      const r = JSON.parse(JSON.stringify(o)) as HTTPRoute;
      const w = Math.min(100, Math.max(0, Math.round(mode.weight)));
      r.spec.rules = (r.spec.rules ?? []).map(rule => ({
        ...rule,
        backendRefs: [
          {
            group: POOL_GROUP,
            kind: 'InferencePool',
            name: childNames.pool(svc),
            weight: 100 - w,
          },
          {
            group: POOL_GROUP,
            kind: 'InferencePool',
            name: canaryNames.pool(svc),
            weight: w,
          },
        ],
      }));
      r.metadata.labels![LABELS.specHash] = specHash(r.spec);
      return r;
    }
    return o;
  });
}

/** The canary's share of a live HTTPRoute in percent (0 when it has no canary backend). @public */
export function routeCanaryWeight(
  route: KubeObject | undefined,
  svc: string,
): number {
  const rules = ((route as HTTPRoute | undefined)?.spec?.rules ?? []) as Array<{
    backendRefs?: Array<{ name?: string; weight?: number }>;
  }>;
  const refs = rules[0]?.backendRefs ?? [];
  const total = refs.reduce((a, b) => a + (b.weight ?? 1), 0);
  const canary = refs.find(b => b.name === canaryNames.pool(svc));
  if (!canary || total <= 0) return 0;
  return Math.round(((canary.weight ?? 1) / total) * 1000) / 10;
}
