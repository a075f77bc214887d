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

import { ComponentType, KubeObject } from '../types';
import { parseQuantity, quantityToNumber } from '../quantity';
import {
  isObject,
  normalizeRoles,
  NormalizedRole,
  ownerReferencesFor,
  RenderContext,
  RenderOptions,
  roleNeedsGang,
} from './context';
import { planRouter, RouterPlan, renderRouter } from './router';
import { renderPodGroup, renderRoleLws } from './workloads';

export type { RenderOptions } from './context';
export type { RouterPlan } from './router';
export { rayLeaderCommandLine } from './workloads';
export { decodeHttpRouteSpec } from './router';
export { shellQuote, shellJoin } from './shell';

/** What one role amounts to. @public */
export interface RoleSummary {
  name: string;
  componentType: ComponentType | undefined;
  replicas: number;
  nodesPerReplica: number;
  pods: number;
  /** Accelerators per pod, by resource name (`nvidia.com/gpu` …), from limits (or requests where no limit). */
  acceleratorsPerPod: Record<string, number>;
  /** Accelerators for the whole role. */
  accelerators: Record<string, number>;
  gangScheduled: boolean;
}

/** What a rendered service amounts to (the dry-run numbers). @public */
export interface RenderSummary {
  name: string;
  namespace: string;
  pdDisaggregated: boolean;
  gangScheduling: boolean;
  roles: RoleSummary[];
  router?: RouterPlan;
  totals: {
    pods: number;
    /** Sum over every accelerator resource name (e.g. 80 for 80 `nvidia.com/gpu`). */
    gpus: number;
    accelerators: Record<string, number>;
    children: number;
  };
}

/** Output of {@link renderInferenceService}. @public */
export interface RenderResult {
  children: KubeObject[];
  summary: RenderSummary;
}

const ACCELERATOR =
  /(^|\/)(gpu|tpu|npu|neuron|neuroncore|xpu|mlu|dcu)$|^amd\.com\/gpu$|^habana\.ai\/gaudi$/i;

function acceleratorsPerPod(role: NormalizedRole): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of role.podSpec?.containers ?? []) {
    const res = isObject(c.resources) ? c.resources : {};
    const limits = isObject(res.limits) ? res.limits : {};
    const requests = isObject(res.requests) ? res.requests : {};
    for (const name of new Set([
      ...Object.keys(limits),
      ...Object.keys(requests),
    ])) {
      if (!ACCELERATOR.test(name)) continue;
      const raw = limits[name] ?? requests[name];
      const q =
        typeof raw === 'string' || typeof raw === 'number'
          ? parseQuantity(raw)
          : undefined;
      if (q) out[name] = (out[name] ?? 0) + quantityToNumber(q);
    }
  }
  return out;
}

/** Builds the shared render context; exported for status derivation and validation. @internal */
export function buildContext(
  isvc: unknown,
  options: RenderOptions = {},
): RenderContext {
  const obj = isObject(isvc) ? isvc : {};
  const metadata = isObject(obj.metadata) ? obj.metadata : {};
  const svc = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace =
    options.namespace ||
    (typeof metadata.namespace === 'string' && metadata.namespace) ||
    'default';
  const roles = normalizeRoles(obj.spec);
  const workloadRoles = roles.filter(
    r => r.componentType && r.componentType !== 'router',
  );
  const routers = roles.filter(r => r.componentType === 'router');
  const pdDisaggregated =
    workloadRoles.some(r => r.componentType === 'prefiller') &&
    workloadRoles.some(r => r.componentType === 'decoder');
  const gangScheduling =
    pdDisaggregated || workloadRoles.some(r => r.nodeCount >= 2);
  const uid =
    options.ownerUid ??
    (typeof metadata.uid === 'string' ? metadata.uid : undefined);
  return {
    svc,
    namespace,
    roles,
    workloadRoles,
    routers,
    pdDisaggregated,
    gangScheduling,
    ownerReferences: ownerReferencesFor(svc, uid),
    options,
  };
}

/**
 * Renders every child of an InferenceService exactly as the FusionInfer controller would create it (spec §3), with
 * the compatible fixes described in the README. Pure and total: it never throws, whatever the input; validate first
 * ({@link validateInferenceService}) to learn what is wrong with an input.
 * @public
 */
export function renderInferenceService(
  isvc: unknown,
  options: RenderOptions = {},
): RenderResult {
  const ctx = buildContext(isvc, options);
  const children: KubeObject[] = [];
  const podGroup = renderPodGroup(ctx);
  if (podGroup) children.push(podGroup);
  for (const role of ctx.workloadRoles)
    children.push(...renderRoleLws(ctx, role));
  let router: RouterPlan | undefined;
  for (const role of ctx.routers) {
    const plan = planRouter(ctx, role);
    children.push(...renderRouter(ctx, role, plan));
    router ??= plan;
  }
  const roles: RoleSummary[] = ctx.roles.map(role => {
    const workload =
      role.componentType !== undefined && role.componentType !== 'router';
    let replicas = 0;
    if (workload) replicas = role.replicas;
    else if (role.componentType === 'router') replicas = 1;
    const nodes = workload ? role.nodeCount : 1;
    const perPod = workload ? acceleratorsPerPod(role) : {};
    const accelerators: Record<string, number> = {};
    for (const [k, v] of Object.entries(perPod))
      accelerators[k] = v * replicas * nodes;
    return {
      name: role.name,
      componentType: role.componentType,
      replicas,
      nodesPerReplica: nodes,
      pods: replicas * nodes,
      acceleratorsPerPod: perPod,
      accelerators,
      gangScheduled: workload && ctx.gangScheduling && roleNeedsGang(ctx, role),
    };
  });
  const accelerators: Record<string, number> = {};
  for (const r of roles)
    for (const [k, v] of Object.entries(r.accelerators))
      accelerators[k] = (accelerators[k] ?? 0) + v;
  return {
    children,
    summary: {
      name: ctx.svc,
      namespace: ctx.namespace,
      pdDisaggregated: ctx.pdDisaggregated,
      gangScheduling: ctx.gangScheduling,
      roles,
      ...(router ? { router } : {}),
      totals: {
        pods: roles.reduce((n, r) => n + r.pods, 0),
        gpus: Object.values(accelerators).reduce((n, v) => n + v, 0),
        accelerators,
        children: children.length,
      },
    },
  };
}
