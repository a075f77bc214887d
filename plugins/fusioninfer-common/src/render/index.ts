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

import { CANARY_ANNOTATION } from '../canary/policy';
import { readRevisionLabelling } from '../rollout/policy';
import { specHash } from '../hash';
import { KubeObject } from '../types';
import { checkInferenceServiceLimits } from '../limits';
import type { ValidationIssue } from '../validate';
import {
  isObject,
  normalizeRoles,
  ownerReferencesFor,
  RenderContext,
  RenderOptions,
} from './context';
import { planRouter, RouterPlan, renderRouter } from './router';
import {
  renderPodGroup,
  renderReplicaLws,
  renderRoleLws,
  renderOwnPodGroup,
} from './workloads';
import { RenderSummary, summarizeInferenceService } from './summary';

export type { RenderOptions } from './context';
export { summarizeInferenceService } from './summary';
export type { RenderSummary, RoleSummary, SummaryOptions } from './summary';
export type { RouterPlan } from './router';
export {
  rayLeaderCommandLine,
  rayLeaderContainerArgv,
  rayLeaderScript,
} from './workloads';
export { decodeHttpRouteSpec } from './router';
export { SURGE_LABEL } from './workloads';
export { shellQuote, shellJoin } from './shell';

/** Output of {@link renderInferenceService}. @public */
export interface RenderResult {
  /** Every child, in apply order; empty when the service is over a limit (see `limitErrors`). */
  children: KubeObject[];
  /** The service's numbers (always computed, by arithmetic, even when nothing was rendered). */
  summary: RenderSummary;
  /**
   * Present when the service exceeds {@link LIMITS} (or `options.limits`): nothing was rendered, and these errors
   * (the same ones `validateInferenceService` reports) say which limit and where.
   */
  limitErrors?: ValidationIssue[];
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
  const roles = normalizeRoles(obj.spec, options.limits);
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
  const annotations = isObject(metadata.annotations)
    ? metadata.annotations
    : {};
  return {
    svc,
    namespace,
    roles,
    workloadRoles,
    routers,
    pdDisaggregated,
    gangScheduling,
    canary: annotations[CANARY_ANNOTATION] !== undefined,
    revisions: readRevisionLabelling(obj).enabled
      ? podRevisions(workloadRoles, pdDisaggregated)
      : undefined,
    ownerReferences: ownerReferencesFor(svc, uid),
    options,
  };
}

/**
 * The revision of each workload role's pods: a hash of what makes its pods (pod spec and node count; not the replicas,
 * so scaling is no new revision). A P/D service's prefillers and decoders share one, the pair's: a change to either
 * moves both (decode first), and pods of one revision pair with each other.
 */
function podRevisions(
  workloadRoles: RenderContext['workloadRoles'],
  pdDisaggregated: boolean,
): Record<string, string> {
  const shape = (r: RenderContext['workloadRoles'][number]) => ({
    name: r.name,
    componentType: r.componentType,
    nodeCount: r.nodeCount,
    podSpec: r.podSpec ?? null,
  });
  const paired = (r: RenderContext['workloadRoles'][number]) =>
    pdDisaggregated &&
    (r.componentType === 'prefiller' || r.componentType === 'decoder');
  const pair = specHash(workloadRoles.filter(paired).map(shape));
  return Object.fromEntries(
    workloadRoles.map(r => [r.name, paired(r) ? pair : specHash([shape(r)])]),
  );
}

/**
 * The children of one surge replica of a role (a rollout's extra replica at the new spec, index from the role's
 * replicas up): its LeaderWorkerSet, labelled `fusioninfer.io/surge`, and for a gang-scheduled role a PodGroup of its
 * own. Empty when the role does not exist or the service is over the limits.
 * @public
 */
export function renderSurgeReplica(
  isvc: unknown,
  roleName: string,
  index: number,
  options: RenderOptions = {},
): KubeObject[] {
  if (checkInferenceServiceLimits(isvc, options.limits).length > 0) return [];
  const ctx = buildContext(isvc, options);
  const role = ctx.workloadRoles.find(r => r.name === roleName);
  if (!role) return [];
  const podGroup = renderOwnPodGroup(ctx, role, index, 'surge');
  return [
    ...(podGroup ? [podGroup] : []),
    renderReplicaLws(ctx, role, index, 'surge'),
  ];
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
  const limitErrors = checkInferenceServiceLimits(isvc, options.limits);
  const summaryOptions = { namespace: options.namespace };
  if (limitErrors.length > 0)
    return {
      children: [],
      summary: summarizeInferenceService(isvc, summaryOptions),
      limitErrors,
    };
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
  const summary = summarizeInferenceService(isvc, summaryOptions);
  // The arithmetic count and the rendered list agree by construction (tested); the list is the truth.
  summary.totals.children = children.length;
  const { totals, ...head } = summary;
  return {
    children,
    summary: { ...head, ...(router ? { router } : {}), totals },
  };
}
