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

import { countChildren, roleCounts, RoleCounts } from '../limits';
import { parseQuantity, quantityToNumber } from '../quantity';
import { ComponentType } from '../types';
import type { RouterPlan } from './router';

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

/** What a service amounts to (the dry-run numbers). @public */
export interface RenderSummary {
  name: string;
  namespace: string;
  pdDisaggregated: boolean;
  gangScheduling: boolean;
  roles: RoleSummary[];
  /** The router's strategy, config and image; only from `renderInferenceService` (not from the summary alone). */
  router?: RouterPlan;
  totals: {
    pods: number;
    /** Sum over every accelerator resource name (e.g. 80 for 80 `nvidia.com/gpu`). */
    gpus: number;
    accelerators: Record<string, number>;
    /** Child objects the controller creates (LeaderWorkerSets, PodGroup, router objects). */
    children: number;
  };
}

/** Options of {@link summarizeInferenceService}. @public */
export interface SummaryOptions {
  /** Namespace of the children; defaults to the service's `metadata.namespace`, then `default`. */
  namespace?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const ACCELERATOR =
  /(^|\/)(gpu|tpu|npu|neuron|neuroncore|xpu|mlu|dcu)$|^amd\.com\/gpu$|^habana\.ai\/gaudi$/i;

/** Containers inspected per pod template; a pod with more is refused by the API server long before. */
const MAX_CONTAINERS = 1000;

/** Accelerators per pod of a raw role template (limits, or requests where no limit), without copying it. */
export function acceleratorsPerPod(template: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const spec = isObj(template) && isObj(template.spec) ? template.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  for (let i = 0; i < Math.min(containers.length, MAX_CONTAINERS); i++) {
    const c = containers[i];
    if (!isObj(c)) continue;
    const res = isObj(c.resources) ? c.resources : {};
    const limits = isObj(res.limits) ? res.limits : {};
    const requests = isObj(res.requests) ? res.requests : {};
    for (const name of new Set([
      ...Object.keys(limits),
      ...Object.keys(requests),
    ])) {
      if (!ACCELERATOR.test(name)) continue;
      const raw =
        (Object.hasOwn(limits, name) ? limits[name] : undefined) ??
        (Object.hasOwn(requests, name) ? requests[name] : undefined);
      const q =
        typeof raw === 'string' || typeof raw === 'number'
          ? parseQuantity(raw)
          : undefined;
      if (q) out[name] = (out[name] ?? 0) + quantityToNumber(q);
    }
  }
  return out;
}

function gangFor(r: RoleCounts, pd: boolean, gang: boolean): boolean {
  if (!r.workload || !gang) return false;
  if (pd)
    return r.componentType === 'prefiller' || r.componentType === 'decoder';
  return r.nodeCount >= 2;
}

/**
 * The numbers of an InferenceService — pods, accelerators per role and in total, child objects, gang scheduling —
 * by arithmetic on its spec, without rendering anything. Cost is proportional to the number of roles and containers,
 * never to replicas, so it is safe on any input (a service with 2,147,483,647 replicas is summarised as such; check
 * {@link checkInferenceServiceLimits} before expanding it). Same numbers as `renderInferenceService(...).summary`
 * (minus `router`). Never throws.
 * @public
 */
export function summarizeInferenceService(
  isvc: unknown,
  options: SummaryOptions = {},
): RenderSummary {
  try {
    const obj = isObj(isvc) ? isvc : {};
    const metadata = isObj(obj.metadata) ? obj.metadata : {};
    const rawRoles =
      isObj(obj.spec) && Array.isArray(obj.spec.roles) ? obj.spec.roles : [];
    // Beyond 1,000 roles (the CRD allows 32) only the first are summarised; totals then undercount, and the
    // limit check has refused the service anyway.
    const counts = roleCounts(obj.spec, 1000);
    const workloads = counts.filter(r => r.workload);
    const pd =
      workloads.some(r => r.componentType === 'prefiller') &&
      workloads.some(r => r.componentType === 'decoder');
    const { children, gang } = countChildren(counts);
    const roles: RoleSummary[] = counts.map(r => {
      let replicas = 0; // a role without a known type deploys nothing
      if (r.workload) replicas = r.replicas;
      else if (r.componentType === 'router') replicas = 1; // one EPP
      const nodes = r.workload ? r.nodeCount : 1;
      const perPod = r.workload
        ? acceleratorsPerPod(
            (rawRoles[r.index] as Record<string, unknown>)?.template,
          )
        : {};
      const accelerators: Record<string, number> = {};
      for (const [k, v] of Object.entries(perPod))
        accelerators[k] = v * replicas * nodes;
      return {
        name: r.name,
        componentType: r.componentType,
        replicas,
        nodesPerReplica: nodes,
        pods: replicas * nodes,
        acceleratorsPerPod: perPod,
        accelerators,
        gangScheduled: gangFor(r, pd, gang),
      };
    });
    const accelerators: Record<string, number> = {};
    for (const r of roles)
      for (const [k, v] of Object.entries(r.accelerators))
        accelerators[k] = (accelerators[k] ?? 0) + v;
    return {
      name: typeof metadata.name === 'string' ? metadata.name : '',
      namespace:
        options.namespace ||
        (typeof metadata.namespace === 'string' && metadata.namespace) ||
        'default',
      pdDisaggregated: pd,
      gangScheduling: gang,
      roles,
      totals: {
        pods: roles.reduce((n, r) => n + r.pods, 0),
        gpus: Object.values(accelerators).reduce((n, v) => n + v, 0),
        accelerators,
        children,
      },
    };
  } catch {
    // Only a throwing getter or proxy gets here.
    return {
      name: '',
      namespace: options.namespace || 'default',
      pdDisaggregated: false,
      gangScheduling: false,
      roles: [],
      totals: { pods: 0, gpus: 0, accelerators: {}, children: 0 },
    };
  }
}
