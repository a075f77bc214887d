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
  ConditionInput,
  InferenceService,
  KubeObject,
  LABELS,
  planRollout,
  Pod,
  readRolloutPolicies,
  renderSurgeReplica,
  RenderOptions,
  ReplicaObservation,
  RoleRolloutInput,
  RolloutStep,
  summarizeInferenceService,
} from '@fusioninfer/plugin-fusioninfer-common';

const SURGE_LABEL = 'fusioninfer.io/surge';
const LWS_NAME_LABEL = 'leaderworkerset.sigs.k8s.io/name';

/** What the gate needs of the cluster: the service's live replica LWSs and pods (from the informer cache). */
export interface RolloutGateInput {
  isvc: InferenceService;
  /** The rendered children. */
  desired: KubeObject[];
  /** Live LeaderWorkerSets of the service (controlled by it). */
  liveLws: KubeObject[];
  /** Live pods of the service. */
  pods: Pod[];
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
      p.metadata.labels?.[LWS_NAME_LABEL] === name &&
      p.metadata.labels?.[LABELS.specHash] === hash &&
      isReady(p),
  ).length;
  return up >= size;
}

const childKey = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

/**
 * Applies the rollout plan to a service's rendered children. Replicas are matched by role and index labels; a live
 * replica is at the new spec when its spec hash equals the rendered one.
 */
export function gateRollout(input: RolloutGateInput): RolloutGateOutput {
  const { isvc, desired, liveLws, pods } = input;
  const { policies } = readRolloutPolicies(isvc);
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
    for (const lws of liveLws) {
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
    // GPUs per pod as the scheduler counts them (sidecars and init containers included), from the summary every
    // other GPU figure of the suite uses.
    const summary = summaries.find(x => x.name === role.name);
    const gpusPerPod = Math.ceil(
      summary?.acceleratorsPerPod['nvidia.com/gpu'] ?? 0,
    );
    const nodeCount = summary?.nodesPerReplica ?? 1;
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
    children.push(c);
  }
  children.push(...extra);
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
  if (moving.length)
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
  else if (had)
    condition = {
      type: 'RolloutProgressing',
      status: 'False',
      reason: 'Complete',
      message: 'Every replica runs the current spec',
    };
  return { children, keep, step, ...(condition ? { condition } : {}) };
}
