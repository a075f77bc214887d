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
import { ComponentType } from '../types';
import {
  acceleratorMatcher,
  DEFAULT_ACCELERATOR_RESOURCES,
  podAccelerators,
  PodAccelerators,
  roundGpus,
} from '../governance/accelerators';
import type { RouterPlan } from './router';

/** What one role amounts to. @public */
export interface RoleSummary {
  name: string;
  componentType: ComponentType | undefined;
  replicas: number;
  nodesPerReplica: number;
  pods: number;
  /**
   * Accelerators per pod, by resource name (`nvidia.com/gpu`, `nvidia.com/mig-3g.40gb` …): the effective pod request
   * (containers plus sidecars, or the largest init container), each container's limit, else its request.
   */
  acceleratorsPerPod: Record<string, number>;
  /** Accelerators for the whole role (raw counts by resource name). */
  accelerators: Record<string, number>;
  /** GPU equivalents per pod (a MIG `3g` slice is 3/7), rounded to 3 decimals. */
  gpusPerPod: number;
  /** GPU equivalents for the whole role, rounded to 3 decimals. */
  gpus: number;
  /** DRA resource claims per pod (their devices are not in `gpus`; 0 when the pods use no DRA). */
  resourceClaims: number;
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
    /**
     * GPU equivalents over every accelerator resource, rounded to 3 decimals: 80 for 80 `nvidia.com/gpu`, 0.857 for
     * two `nvidia.com/mig-3g.40gb` (see `gpuEquivalentPerUnit`).
     */
    gpus: number;
    /** Raw counts by accelerator resource name. */
    accelerators: Record<string, number>;
    /**
     * DRA resource claims of every pod (claims per pod × pods); a policy holds these, their GPUs are not counted.
     * Always set by {@link summarizeInferenceService}; optional only so that totals written by hand (a policy's
     * input) stay valid.
     */
    resourceClaims?: number;
    /** Child objects the controller creates (LeaderWorkerSets, PodGroup, router objects). */
    children: number;
  };
}

/** Options of {@link summarizeInferenceService}. @public */
export interface SummaryOptions {
  /** Namespace of the children; defaults to the service's `metadata.namespace`, then `default`. */
  namespace?: string;
  /**
   * Patterns of the resource names that are accelerators (exact names, `prefix/*`, `prefix*`, or a leading `*` for an
   * ending); default `DEFAULT_ACCELERATOR_RESOURCES`. See `acceleratorMatcher`.
   */
  acceleratorResources?: readonly string[];
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Accelerators per pod of a raw role template, by resource name: the effective pod request (containers plus sidecar
 * init containers, or the largest plain init container with the sidecars before it) of every accelerator resource
 * (`patterns`, default `DEFAULT_ACCELERATOR_RESOURCES`), without copying the template. Never throws.
 */
export function acceleratorsPerPod(
  template: unknown,
  patterns: readonly string[] = DEFAULT_ACCELERATOR_RESOURCES,
): Record<string, number> {
  return podAccelerators(template, { acceleratorResources: patterns })
    .accelerators;
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
 * `checkInferenceServiceLimits` before expanding it). Same numbers as `renderInferenceService(...).summary`
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
    const match = acceleratorMatcher(
      options.acceleratorResources ?? DEFAULT_ACCELERATOR_RESOURCES,
    );
    let gpuTotal = 0;
    const roles: RoleSummary[] = counts.map(r => {
      let replicas = 0; // a role without a known type deploys nothing
      if (r.workload) replicas = r.replicas;
      else if (r.componentType === 'router') replicas = 1; // one EPP
      const nodes = r.workload ? r.nodeCount : 1;
      const pods = replicas * nodes;
      // A multi-node replica's leader and workers run the same pod spec (the renderer rewrites only the first
      // container's command, args, ports and probe), so every pod of the role counts from the role's template. The
      // router's EPP pod asks for no accelerators.
      const perPod: PodAccelerators = r.workload
        ? podAccelerators(
            (rawRoles[r.index] as Record<string, unknown>)?.template,
            match,
          )
        : { accelerators: {}, gpus: 0, resourceClaims: 0 };
      const roleGpus = perPod.gpus * pods;
      gpuTotal += roleGpus;
      return {
        name: r.name,
        componentType: r.componentType,
        replicas,
        nodesPerReplica: nodes,
        pods,
        acceleratorsPerPod: perPod.accelerators,
        accelerators: Object.fromEntries(
          Object.entries(perPod.accelerators).map(([k, v]) => [k, v * pods]),
        ),
        gpusPerPod: roundGpus(perPod.gpus),
        gpus: roundGpus(roleGpus),
        resourceClaims: perPod.resourceClaims,
        gangScheduled: gangFor(r, pd, gang),
      };
    });
    const accelerators = new Map<string, number>();
    for (const r of roles)
      for (const [k, v] of Object.entries(r.accelerators))
        accelerators.set(k, (accelerators.get(k) ?? 0) + v);
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
        gpus: roundGpus(gpuTotal),
        accelerators: Object.fromEntries(accelerators),
        resourceClaims: roles.reduce(
          (n, r) => n + r.resourceClaims * r.pods,
          0,
        ),
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
      totals: {
        pods: 0,
        gpus: 0,
        accelerators: {},
        resourceClaims: 0,
        children: 0,
      },
    };
  }
}
