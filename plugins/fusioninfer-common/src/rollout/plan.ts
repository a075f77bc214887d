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
 * One reconcile step of a rollout, as a pure function: per role, which replica LeaderWorkerSets move to the new spec
 * now, which surge replicas to add or remove, which stay as they are, and why it waits. FusionInfer makes one
 * LeaderWorkerSet per replica, so LWS's own rolling update cannot pace a role: the reconciler does, with this plan.
 */

import { ResolvedRolloutPolicy } from './policy';

/** What the reconciler sees of one live replica LeaderWorkerSet of a role. @public */
export interface ReplicaObservation {
  /** The replica's index (`{svc}-{role}-{index}`); surge replicas have indices from the role's replicas up. */
  index: number;
  /** Its spec is the desired one (same spec hash). */
  updated: boolean;
  /** Its group is up: every pod Ready. */
  ready: boolean;
}

/** One role's input to {@link planRoleRollout}. @public */
export interface RoleRolloutInput {
  role: string;
  componentType?: string;
  /** Desired replicas. */
  replicas: number;
  policy: ResolvedRolloutPolicy;
  /** Every live replica LeaderWorkerSet of the role, surge ones included. */
  live: ReplicaObservation[];
  /** Whether a surge replica fits the project's GPU quota and the cluster now; else the rollout goes without. */
  surgeFits: boolean;
  /** Why a surge replica does not fit (shown when it is skipped). */
  surgeBlockedBy?: string;
}

/** One role's step. @public */
export interface RoleRolloutStep {
  role: string;
  /** Missing replicas below `replicas` to create at the new spec (a first deploy or a scale-up). */
  create: number[];
  /** Replicas that move to the new spec now. */
  update: number[];
  /** Surge replicas to create at the new spec now. */
  createSurge: number[];
  /** Replicas to delete: beyond `replicas` (scale-down) or surge replicas no longer needed. */
  delete: number[];
  /** Replicas kept at their old spec in this step. */
  hold: number[];
  phase: 'complete' | 'progressing' | 'paused' | 'waiting';
  /** Why it waits or holds, in words. */
  reason?: string;
  /** Replicas below `replicas` at the new spec, and of those Ready. */
  updatedReplicas: number;
  readyReplicas: number;
  /** Surge replicas alive after this step. */
  surgeReplicas: number;
  /** The policy asked for surge but there is no room: the rollout goes one replica down at a time instead. */
  surgeSkipped?: string;
}

const desc = (a: number, b: number) => b - a;

/**
 * The step of one role: replicas below `partition` keep the old spec; the others move at most as far as the
 * availability budget allows (`replicas − maxUnavailable` Ready, surge replicas counting), the highest index first,
 * and only once every replica already moved is Ready again (waves). Unready old replicas move first (they are down
 * anyway). Surge replicas are added before anything goes down and removed once the role is complete and Ready.
 * @public
 */
export function planRoleRollout(input: RoleRolloutInput): RoleRolloutStep {
  const { replicas: n, policy, live } = input;
  const byIndex = new Map(live.map(r => [r.index, r]));
  const inRange = live.filter(r => r.index < n);
  const beyond = live.filter(r => r.index >= n);
  const create: number[] = [];
  for (let i = 0; i < n; i++) if (!byIndex.has(i)) create.push(i);
  const old = inRange.filter(r => !r.updated);
  const movable = old.filter(r => r.index >= policy.partition);
  const partitioned = old.filter(r => r.index < policy.partition);
  const updated = inRange.filter(r => r.updated);
  const step: RoleRolloutStep = {
    role: input.role,
    create,
    update: [],
    createSurge: [],
    delete: [],
    hold: old.map(r => r.index).sort(desc),
    phase: 'progressing',
    updatedReplicas: updated.length,
    readyReplicas: updated.filter(r => r.ready).length,
    surgeReplicas: 0,
  };
  // Old replicas beyond the desired count are a scale-down: they go now. Surge replicas (new spec) stay while needed;
  // one that is not up while there is no room for it can never be placed: it goes, and the rollout goes on without.
  const stuck = (r: ReplicaObservation) =>
    !input.surgeFits && !r.ready && movable.length > 0;
  const surge = beyond.filter(r => r.updated && !stuck(r));
  for (const r of beyond.filter(x => !x.updated || stuck(x)))
    step.delete.push(r.index);
  if (movable.length === 0) {
    // Complete (up to the partition): surge replicas go once every replica is back.
    const allReady = updated.every(r => r.ready) && create.length === 0;
    if (allReady) step.delete.push(...surge.map(r => r.index));
    step.surgeReplicas = allReady ? 0 : surge.length;
    step.phase = allReady ? 'complete' : 'progressing';
    if (!allReady) step.reason = 'waiting for the moved replicas to be Ready';
    if (partitioned.length)
      step.reason = `replicas ${partitioned.map(r => r.index).join(', ')} stay at the old spec (partition ${policy.partition})`;
    step.delete.sort(desc);
    return step;
  }
  if (policy.paused) {
    step.phase = 'paused';
    step.reason = `paused with ${movable.length} of ${n} replicas at the old spec`;
    step.surgeReplicas = surge.length;
    return step;
  }
  // Surge: as many new-spec replicas beside the old ones as the policy allows (never more than there are to replace).
  let maxUnavailable = policy.maxUnavailable;
  let wantSurge = Math.min(policy.maxSurge, movable.length);
  if (wantSurge > 0 && !input.surgeFits && surge.length < wantSurge) {
    step.surgeSkipped = `no room for a surge replica${input.surgeBlockedBy ? ` (${input.surgeBlockedBy})` : ''}: replacing one replica at a time instead`;
    wantSurge = surge.length;
    maxUnavailable = Math.max(maxUnavailable, 1);
  }
  // Waves: nothing more moves — and no surge replica is added, which could take the room a moved replica needs —
  // while a replica already at the new spec (surge included) is not Ready.
  const notReady = [...updated, ...surge].filter(r => !r.ready);
  const used = new Set(live.map(r => r.index));
  if (notReady.length === 0)
    for (let i = n; step.createSurge.length + surge.length < wantSurge; i++)
      if (!used.has(i)) step.createSurge.push(i);
  step.surgeReplicas = surge.length + step.createSurge.length;
  if (notReady.length || step.createSurge.length) {
    step.phase = 'waiting';
    step.reason = step.createSurge.length
      ? `adding ${step.createSurge.length === 1 ? 'a surge replica' : `${step.createSurge.length} surge replicas`} before any replica goes down`
      : `waiting for replica${notReady.length === 1 ? '' : 's'} ${notReady
          .map(r => r.index)
          .sort((a, b) => a - b)
          .join(', ')} to be Ready`;
    // Old replicas that are down anyway may still move.
    step.update = movable
      .filter(r => !r.ready)
      .map(r => r.index)
      .sort(desc);
    step.hold = step.hold.filter(i => !step.update.includes(i));
    return step;
  }
  const ready =
    inRange.filter(r => r.ready).length + surge.filter(r => r.ready).length;
  const minAvailable = n - maxUnavailable;
  let budget = Math.max(0, ready - minAvailable);
  const down = movable
    .filter(r => !r.ready)
    .map(r => r.index)
    .sort(desc);
  const up = movable
    .filter(r => r.ready)
    .map(r => r.index)
    .sort(desc);
  step.update = [...down];
  for (const i of up) {
    if (budget <= 0) break;
    step.update.push(i);
    budget--;
  }
  step.hold = step.hold.filter(i => !step.update.includes(i));
  if (step.update.length === 0) {
    step.phase = 'waiting';
    step.reason = `${ready} of ${n} replicas Ready; at least ${minAvailable} must stay up (maxUnavailable ${maxUnavailable})`;
  }
  return step;
}

/** The step of a whole service. @public */
export interface RolloutStep {
  roles: RoleRolloutStep[];
  /** Every role complete. */
  complete: boolean;
}

/**
 * The step of every role of a service. Prefill/decode: decode roles move first; prefill roles hold their old spec
 * until every decode role is complete, so a new prefill never hands its KV cache to an old decode.
 * @public
 */
export function planRollout(inputs: RoleRolloutInput[]): RolloutStep {
  const steps = inputs.map(planRoleRollout);
  const decodeBusy = inputs.some(
    (r, i) => r.componentType === 'decoder' && steps[i].phase !== 'complete',
  );
  if (decodeBusy)
    inputs.forEach((r, i) => {
      const s = steps[i];
      if (r.componentType !== 'prefiller' || s.phase === 'complete') return;
      // Hold every move; creation of missing replicas and scale-down go on.
      s.hold = [...new Set([...s.hold, ...s.update])].sort(desc);
      s.update = [];
      s.createSurge = [];
      s.surgeReplicas = r.live.filter(
        x => x.index >= r.replicas && x.updated,
      ).length;
      s.phase = 'waiting';
      s.reason =
        'decode replicas move first: waiting for the decode roles to complete';
    });
  return { roles: steps, complete: steps.every(s => s.phase === 'complete') };
}
