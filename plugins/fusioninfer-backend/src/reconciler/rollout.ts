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
 * The rollout gate of the reconciler (issue 19): between rendering a service's children and applying them, it holds
 * back the replica LeaderWorkerSets the rollout plan does not move yet (they keep their old spec), adds the surge
 * replicas the plan asks for, and says where the rollout stands as a condition. A role whose spec did not change
 * passes through untouched (creation and scale-down only), so a service without a rollout in progress costs nothing.
 */

import {
  applyCanaryMode,
  CanaryMode,
  canaryMode,
  CanaryObservation,
  CanaryPolicy,
  CanaryStatus,
  childNames,
  copyStableReplica,
  ConditionInput,
  InferenceService,
  KubeObject,
  LABELS,
  planRollout,
  Pod,
  readCanaryPolicy,
  readCanaryStatus,
  readRolloutPolicies,
  renderCanaryChildren,
  renderSurgeReplica,
  RenderOptions,
  ReplicaObservation,
  RoleRolloutInput,
  RolloutStep,
  summarizeInferenceService,
  SURGE_LABEL,
  TRACK_LABEL,
  workloadRevision,
} from '@fusioninfer/plugin-fusioninfer-common';

/** What the gate needs of the cluster: the service's live replica LWSs and pods (from the informer cache). */
export interface RolloutGateInput {
  isvc: InferenceService;
  /** The rendered children. */
  desired: KubeObject[];
  /** Live LeaderWorkerSets of the service (controlled by it). */
  liveLws: KubeObject[];
  /** Live pods of the service. */
  pods: Pod[];
  /** The live HTTPRoute of the service (the canary reads its parents' status). */
  liveRoute?: KubeObject;
  render: RenderOptions;
  /**
   * Why a surge replica of `role` — `pods` pods of `gpusPerPod` GPUs each — does not fit now (project quota or the
   * cluster's free GPUs), or undefined when it fits.
   */
  surgeBlockedBy?(
    role: string,
    gpusPerPod: number,
    pods: number,
  ): string | undefined;
}

/** The gate's answer. */
export interface RolloutGateOutput {
  /** The children to apply: rendered ones minus held replicas, plus surge replicas. */
  children: KubeObject[];
  /** Child keys (`Kind/name`) to keep although not applied (held replicas): never orphans. */
  keep: Set<string>;
  step?: RolloutStep;
  /** The `RolloutProgressing` condition while a rollout moves (absent when none ever did). */
  condition?: ConditionInput;
  /** What the canary controller needs to know (services with the canary annotation only). */
  canary?: CanaryView;
}

/** Where a canary service stands in the cluster, as the gate saw it. */
export interface CanaryView {
  policy: CanaryPolicy;
  status?: CanaryStatus;
  revision: string;
  seen: CanaryObservation;
  mode: CanaryMode;
  /** Every canary replica runs the revision and is Ready. */
  canaryReady: boolean;
  /** Every stable replica runs the revision and is Ready. */
  stablePromoted: boolean;
  /** Why the Gateway cannot split the traffic, when it cannot. */
  gatewayProblem?: string;
}

const isReady = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  (p.status?.conditions ?? []).some(
    c => c.type === 'Ready' && c.status === 'True',
  );

/** A replica is up when all `size` pods of its group run its LWS's current spec and are Ready. */
function replicaReady(lws: KubeObject, pods: Pod[]): boolean {
  const name = lws.metadata.name;
  const hash = lws.metadata.labels?.[LABELS.specHash];
  const size = Number(
    (lws as { spec?: { leaderWorkerTemplate?: { size?: number } } }).spec
      ?.leaderWorkerTemplate?.size ?? 1,
  );
  const up = pods.filter(
    p =>
      p.metadata.labels?.[LABELS.lwsName] === name &&
      p.metadata.labels?.[LABELS.specHash] === hash &&
      isReady(p),
  ).length;
  return up >= size;
}

const childKey = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

/**
 * One replica of a role as the scheduler sees it: GPUs per pod (sidecars and init containers included) and pods per
 * replica, from the summary every other GPU figure of the suite uses. What a surge or canary replica adds.
 */
export function replicaShape(
  summaries: ReturnType<typeof summarizeInferenceService>['roles'],
  role: string,
): { gpusPerPod: number; pods: number } {
  const summary = summaries.find(x => x.name === role);
  return {
    gpusPerPod: Math.ceil(summary?.acceleratorsPerPod['nvidia.com/gpu'] ?? 0),
    pods: summary?.nodesPerReplica ?? 1,
  };
}

/**
 * Applies the rollout plan to a service's rendered children. Replicas are matched by role and index labels; a live
 * replica is at the new spec when its spec hash equals the rendered one.
 */
export function gateRollout(input: RolloutGateInput): RolloutGateOutput {
  const { isvc, desired, liveLws, pods } = input;
  const { policies } = readRolloutPolicies(isvc);
  // Canary replicas are not replicas of the role: the canary (below) runs them.
  const stableLws = liveLws.filter(
    l => l.metadata.labels?.[TRACK_LABEL] !== 'canary',
  );
  const roles = (isvc.spec?.roles ?? []).filter(
    r => r && r.componentType && r.componentType !== 'router',
  );
  const rendered = new Map<string, KubeObject>();
  for (const c of desired)
    if (c.kind === 'LeaderWorkerSet')
      rendered.set(
        `${c.metadata.labels?.[LABELS.roleName]}/${c.metadata.labels?.[LABELS.replicaIndex]}`,
        c,
      );
  const summaries = summarizeInferenceService(isvc).roles;
  const inputs: RoleRolloutInput[] = [];
  const surgeRender = new Map<string, KubeObject[]>();
  for (const role of roles) {
    const replicas = Math.max(0, role.replicas ?? 1);
    const live: ReplicaObservation[] = [];
    for (const lws of stableLws) {
      if (lws.metadata.labels?.[LABELS.roleName] !== role.name) continue;
      const index = Number(lws.metadata.labels?.[LABELS.replicaIndex]);
      if (!Number.isInteger(index) || index < 0) continue;
      const surge = lws.metadata.labels?.[SURGE_LABEL] === 'true';
      let want: KubeObject | undefined;
      if (index < replicas && !surge)
        want = rendered.get(`${role.name}/${index}`);
      else if (surge) {
        const kids = renderSurgeReplica(isvc, role.name, index, input.render);
        surgeRender.set(`${role.name}/${index}`, kids);
        want = kids.find(k => k.kind === 'LeaderWorkerSet');
      }
      live.push({
        index,
        // A leftover non-surge replica beyond the count is never "at the new spec": the plan deletes it.
        updated:
          !!want &&
          want.metadata.labels?.[LABELS.specHash] ===
            lws.metadata.labels?.[LABELS.specHash],
        ready: replicaReady(lws, pods),
      });
    }
    const { gpusPerPod, pods: nodeCount } = replicaShape(summaries, role.name);
    const blocked = input.surgeBlockedBy?.(role.name, gpusPerPod, nodeCount);
    inputs.push({
      role: role.name,
      componentType: role.componentType,
      replicas,
      policy: policies[role.name] ?? {
        maxUnavailable: 1,
        maxSurge: 0,
        partition: 0,
        paused: false,
      },
      live,
      surgeFits: !blocked,
      ...(blocked ? { surgeBlockedBy: blocked } : {}),
    });
  }
  const step = planRollout(inputs);
  const observed = observeCanary(input, inputs, rendered, summaries);
  const canary = observed?.view;
  if (canary?.mode.holdStable)
    // The canary decides when the stable replicas move: nothing moves in waves meanwhile (creation and scale-down go on).
    for (const s of step.roles) {
      if (s.phase === 'complete') continue;
      s.hold = [...new Set([...s.hold, ...s.update])].sort((a, b) => b - a);
      s.update = [];
      s.createSurge = [];
      s.phase = 'waiting';
      s.reason = canary.mode.reason;
    }
  const held = new Set<string>();
  const keep = new Set<string>();
  const extra: KubeObject[] = [];
  step.roles.forEach((s, i) => {
    for (const index of s.hold) held.add(`${s.role}/${index}`);
    // Surge replicas that stay (not deleted) are kept and re-applied; new ones are rendered.
    const alive = inputs[i].live.filter(
      r =>
        r.index >= inputs[i].replicas &&
        r.updated &&
        !s.delete.includes(r.index),
    );
    for (const r of alive)
      extra.push(
        ...(surgeRender.get(`${s.role}/${r.index}`) ??
          renderSurgeReplica(isvc, s.role, r.index, input.render)),
      );
    for (const index of s.createSurge)
      extra.push(...renderSurgeReplica(isvc, s.role, index, input.render));
  });
  const children: KubeObject[] = [];
  for (const c of desired) {
    const k = `${c.metadata.labels?.[LABELS.roleName]}/${c.metadata.labels?.[LABELS.replicaIndex]}`;
    if (c.kind === 'LeaderWorkerSet' && held.has(k)) {
      keep.add(childKey(c));
      continue;
    }
    if (
      c.kind === 'LeaderWorkerSet' &&
      canary?.mode.holdStable &&
      !stableLws.some(l => l.metadata.name === c.metadata.name)
    ) {
      // A replica the count adds while the canary holds the stable track (a scale-up, the autoscaler's included)
      // joins it at the stable spec, never at the canary's revision: the stable pool would serve the new revision
      // beyond the canary's weight and the gate would compare the canary with itself. A copy of a stable replica.
      const role = c.metadata.labels?.[LABELS.roleName];
      const i = inputs.findIndex(x => x.role === role);
      const source = stableLws.find(
        l =>
          l.metadata.labels?.[LABELS.roleName] === role &&
          l.metadata.labels?.[SURGE_LABEL] !== 'true' &&
          inputs[i]?.live.some(
            r =>
              !r.updated &&
              String(r.index) === l.metadata.labels?.[LABELS.replicaIndex],
          ),
      );
      const copy = source && copyStableReplica(source, c);
      if (copy) {
        children.push(copy);
        continue;
      }
    }
    children.push(c);
  }
  children.push(...extra);
  let out = children;
  if (canary?.mode.renderCanary) {
    out = applyCanaryMode(isvc.metadata.name!, children, canary.mode);
    out.push(...observed!.children);
  }
  // A rollout is under way where a live replica runs another spec or a surge replica exists (a first deploy or a
  // scale-up is not a rollout).
  // Once under way it lasts until its last wave is Ready, also after every replica runs the new spec.
  const underWay = (isvc.status?.conditions ?? []).some(
    c => c.type === 'RolloutProgressing' && c.status === 'True',
  );
  const moving = step.roles.filter(
    (s, i) =>
      s.phase !== 'complete' &&
      (underWay ||
        inputs[i].live.some(r => !r.updated || r.index >= inputs[i].replicas)),
  );
  const had = (isvc.status?.conditions ?? []).some(
    c => c.type === 'RolloutProgressing',
  );
  let condition: ConditionInput | undefined;
  if (canary?.mode.active || (canary?.mode.holdStable && moving.length))
    condition = {
      type: 'RolloutProgressing',
      status: 'True',
      reason:
        canary.status?.revision === canary.revision &&
        canary.status.phase === 'RolledBack'
          ? 'CanaryRolledBack'
          : 'Canary',
      message: canary.mode.reason ?? 'canary',
    };
  else if (moving.length)
    condition = {
      type: 'RolloutProgressing',
      status: 'True',
      reason: moving.some(s => s.phase === 'paused')
        ? 'Paused'
        : 'ReplicasUpdating',
      message: moving
        .map(
          s =>
            `${s.role}: ${s.updatedReplicas} of ${inputs.find(x => x.role === s.role)!.replicas} replicas at the new spec (${s.readyReplicas} Ready)${s.surgeReplicas ? `, ${s.surgeReplicas} surge` : ''}${s.reason ? `; ${s.reason}` : ''}${s.surgeSkipped ? `; ${s.surgeSkipped}` : ''}`,
        )
        .join('. '),
    };
  if (
    condition &&
    !condition.reason.startsWith('Canary') &&
    canary?.mode.reason &&
    !canary.mode.active
  )
    // Why a canary service's change goes in waves (no room for the canary, stable pods not tracked yet).
    condition = {
      ...condition,
      message: `${condition.message}. ${canary.mode.reason}`,
    };
  else if (!condition && had)
    condition = {
      type: 'RolloutProgressing',
      status: 'False',
      reason: 'Complete',
      message: 'Every replica runs the current spec',
    };
  return {
    children: out,
    keep,
    step,
    ...(condition ? { condition } : {}),
    ...(canary ? { canary } : {}),
  };
}

/**
 * The canary of a service with the canary annotation, from the live replicas: whether the stable replicas run an
 * older spec and carry the stable track on their pods, whether the canary replicas and (once promoting) the stable
 * replicas are at the revision and Ready, and what the live HTTPRoute's Gateways say of two weighted pools.
 */
function observeCanary(
  input: RolloutGateInput,
  inputs: RoleRolloutInput[],
  rendered: Map<string, KubeObject>,
  summaries: ReturnType<typeof summarizeInferenceService>['roles'],
): { view: CanaryView; children: KubeObject[] } | undefined {
  const { isvc, liveLws, pods } = input;
  const { policy } = readCanaryPolicy(isvc);
  if (!policy) return undefined;
  const status = readCanaryStatus(isvc);
  const revision = workloadRevision(isvc);
  const stable = inputs.flatMap(i =>
    i.live.filter(r => r.index < i.replicas).map(r => ({ ...r, role: i.role })),
  );
  const stableLws = liveLws.filter(
    l =>
      l.metadata.labels?.[TRACK_LABEL] !== 'canary' &&
      l.metadata.labels?.[SURGE_LABEL] !== 'true',
  );
  const leaderTracked = (lws: KubeObject) => {
    const leaders = pods.filter(
      p =>
        p.metadata.labels?.[LABELS.lwsName] === lws.metadata.name &&
        (p.metadata.labels?.[LABELS.lwsWorkerIndex] ?? '0') === '0' &&
        !p.metadata.deletionTimestamp,
    );
    return leaders.every(p => p.metadata.labels?.[TRACK_LABEL] === 'stable');
  };
  const seen: CanaryObservation = {
    stableOutdated: stable.some(r => !r.updated),
    stableTracked:
      stableLws.length > 0 &&
      stableLws.every(
        l =>
          (
            l as {
              spec?: {
                leaderWorkerTemplate?: {
                  workerTemplate?: {
                    metadata?: { labels?: Record<string, string> };
                  };
                };
              };
            }
          ).spec?.leaderWorkerTemplate?.workerTemplate?.metadata?.labels?.[
            TRACK_LABEL
          ] === 'stable' && leaderTracked(l),
      ),
  };
  const canaryLws = liveLws.filter(
    l => l.metadata.labels?.[TRACK_LABEL] === 'canary',
  );
  // Rendered once: what the canary's replicas should run, and what the gate applies while the canary runs.
  const canaryChildren = renderCanaryChildren(
    isvc,
    policy.replicas,
    input.render,
  );
  const wantCanary = canaryChildren.filter(k => k.kind === 'LeaderWorkerSet');
  const canaryReady =
    wantCanary.length > 0 &&
    wantCanary.every(want => {
      const live = canaryLws.find(l => l.metadata.name === want.metadata.name);
      return (
        !!live &&
        live.metadata.labels?.[LABELS.specHash] ===
          want.metadata.labels?.[LABELS.specHash] &&
        replicaReady(live, pods)
      );
    });
  const stablePromoted =
    inputs.every(
      i =>
        i.live.filter(r => r.index < i.replicas && r.updated && r.ready)
          .length >= i.replicas,
    ) && rendered.size > 0;
  let mode = canaryMode(policy, status, revision, seen);
  if (mode.active && (!status || status.revision !== revision)) {
    // A canary about to start needs room for its replicas, as a surge replica does (the project's GPU quota, a
    // node's free GPUs): without it the change rolls out in waves, and says why.
    const blocked = inputs
      .map(i => {
        const shape = replicaShape(summaries, i.role);
        const { gpusPerPod } = shape;
        const canaryPods = shape.pods * policy.replicas;
        return gpusPerPod > 0
          ? input.surgeBlockedBy?.(i.role, gpusPerPod, canaryPods)
          : undefined;
      })
      .find(Boolean);
    if (blocked)
      mode = {
        renderCanary: false,
        weight: 0,
        holdStable: false,
        active: false,
        reason: `no room for the canary's replicas (${blocked}): this change rolls out in waves`,
      };
  }
  return {
    view: {
      policy,
      ...(status ? { status } : {}),
      revision,
      seen,
      mode,
      canaryReady,
      stablePromoted,
      ...gatewayProblemOf(input.liveRoute, isvc.metadata.name!),
    },
    children: canaryChildren,
  };
}

type RouteParent = {
  parentRef?: { name?: string; namespace?: string };
  controllerName?: string;
  conditions?: Array<{
    type?: string;
    status?: string;
    reason?: string;
    message?: string;
  }>;
};

/**
 * Why the Gateway cannot split the service's traffic between two InferencePools: the route has no parent Gateway
 * (nothing reads its weights), or a parent did not accept it or could not resolve its backends (an implementation
 * that cannot weight two pools says so in `status.parents`).
 */
export function gatewayProblemOf(
  route: KubeObject | undefined,
  svc: string,
): { gatewayProblem?: string } {
  if (!route) return {};
  const spec = (route as { spec?: { parentRefs?: unknown[] } }).spec;
  if (!spec?.parentRefs?.length)
    return {
      gatewayProblem: `the HTTPRoute ${childNames.route(svc)} has no parent Gateway, so no Gateway reads its weights: set the router's httproute.parentRefs`,
    };
  const parents =
    (route as { status?: { parents?: RouteParent[] } }).status?.parents ?? [];
  for (const p of parents) {
    const bad = (p.conditions ?? []).find(
      c =>
        (c.type === 'Accepted' || c.type === 'ResolvedRefs') &&
        c.status === 'False',
    );
    if (bad)
      return {
        gatewayProblem:
          `Gateway ${p.parentRef?.name ?? '?'} (${p.controllerName ?? 'unknown controller'}) reports ${bad.type} False, ${bad.reason ?? ''}: ${bad.message ?? ''}`.trim(),
      };
  }
  return {};
}
